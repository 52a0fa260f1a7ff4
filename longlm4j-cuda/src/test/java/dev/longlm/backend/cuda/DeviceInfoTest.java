package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DeviceInfoTest {
    @Test
    void versions() {
        assertEquals("13.0", DeviceInfo.cudaVersion(13000));
        assertEquals("12.4", DeviceInfo.cudaVersion(12040));
        assertEquals("13.1.0", DeviceInfo.cublasVersion(130100));
        assertEquals("12.9.1", DeviceInfo.cublasVersion(120901));
    }

    @Test
    void driverReleaseFromTheKernelModulesVersionFile() {
        String proc = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Tue Sep 23 09:55:41 UTC 2025\n"
                + "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";
        assertEquals(Optional.of("580.95.05"), DeviceInfo.driverRelease(proc));
        assertEquals(Optional.of("570.86.10"),
                DeviceInfo.driverRelease("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.10  Release"));
        assertEquals(Optional.empty(), DeviceInfo.driverRelease(""));
    }

    @Test
    void describesGpuLibrariesAndMemory() {
        CudaLibraries libs = new CudaLibraries(Path.of("/l/libcublasLt.so.13"), Path.of("/l/libcublas.so.13"),
                Path.of("/l/libnvrtc.so.13"), Optional.empty());
        DeviceInfo info = new DeviceInfo(0, "NVIDIA H200", new ComputeCapability(9, 0), 132, 232448, 233472,
                150_111_977_472L, 13000, Optional.of("580.95.05"), Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1"), libs,
                130100, "13.0", new CompileTarget("sm_90", true));
        long gib = 1L << 30;
        assertEquals(List.of(
                "GPU 0: NVIDIA H200, compute 9.0, 132 SMs, 139.80 GiB, CUDA 13.0 (driver 580.95.05)",
                "  memory: 20.00 GiB used of 140.00 GiB (16.00 GiB by longlm), 120.00 GiB free",
                "  shared memory: 227.00 KiB per block (opt-in), 228.00 KiB per SM",
                "  driver: /usr/lib/x86_64-linux-gnu/libcuda.so.1",
                "  cuBLAS 13.1.0: /l/libcublas.so.13 (with /l/libcublasLt.so.13)",
                "  NVRTC 13.0: /l/libnvrtc.so.13, kernels compiled for sm_90"),
                info.describe(new MemoryStatus(120 * gib, 140 * gib, 16 * gib)));
    }
}
