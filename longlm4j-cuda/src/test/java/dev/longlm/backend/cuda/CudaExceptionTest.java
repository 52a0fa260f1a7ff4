package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaExceptionTest {
    @Test
    void namesTheCallTheErrorAndItsCode() {
        CudaException e = new CudaException("cuMemAlloc(64 bytes)", 1, "CUDA_ERROR_INVALID_VALUE");
        assertEquals("cuMemAlloc(64 bytes) failed: CUDA_ERROR_INVALID_VALUE (1)", e.getMessage());
        assertEquals("nvrtcCompileProgram(k.cu) failed: NVRTC_ERROR_COMPILATION (6): k.cu(3): error",
                new CudaException("nvrtcCompileProgram(k.cu)", 6, "NVRTC_ERROR_COMPILATION", "k.cu(3): error").getMessage());
    }

    @Test
    void stickyKernelFaultsSayTheContextIsLost() {
        for (int fault : new int[] {700, 702, 710, 714, 715, 716, 717, 718, 719}) {
            assertTrue(CudaDriver.faultNote(fault).startsWith("a kernel faulted before this call"), "CUresult " + fault);
        }
        for (int other : new int[] {0, 1, 2, 200, 500, 711, 712, 713}) {
            assertEquals("", CudaDriver.faultNote(other), "CUresult " + other);
        }
    }
}
