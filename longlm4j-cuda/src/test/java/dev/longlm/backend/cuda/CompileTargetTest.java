package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CompileTargetTest {
    // Shaped like CUDA 13's list: Turing (7.5) and newer, as CUDA 13 dropped Maxwell, Pascal and Volta.
    private static final int[] NVRTC_13 = {75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121};

    @Test
    void aKnownArchitectureGetsACubin() {
        CompileTarget t = CompileTarget.choose(new ComputeCapability(9, 0), NVRTC_13, "13.0");
        assertEquals(new CompileTarget("sm_90", true), t);
        assertEquals("--gpu-architecture=sm_90", t.option());
        assertEquals("cubin", t.extension());
    }

    @Test
    void aGpuNewerThanTheCompilerGetsPtxOfTheNewestKnownBelowIt() {
        CompileTarget t = CompileTarget.choose(new ComputeCapability(9, 5), NVRTC_13, "13.0");
        assertEquals(new CompileTarget("compute_90", false), t);
        assertEquals("ptx", t.extension());
    }

    @Test
    void aGpuOlderThanTheCompilerIsUnavailableWithAWayOut() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CompileTarget.choose(new ComputeCapability(6, 1), NVRTC_13, "13.0"));
        assertEquals("the GPU has compute capability 6.1 but NVRTC 13.0 compiles for 7.5 and newer; install an older "
                + "NVRTC (pip install nvidia-cuda-nvrtc-cu12) or use --device cpu", e.getMessage());
    }

    @Test
    void computeCapabilityCodes() {
        assertEquals(120, new ComputeCapability(12, 0).code());
        assertEquals(new ComputeCapability(8, 6), ComputeCapability.of(86));
        assertEquals("8.9", ComputeCapability.of(89).toString());
    }
}
