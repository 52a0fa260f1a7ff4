package dev.longlm.backend.cuda;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** {@link KernelContract} on GPU 0; skipped, with the reason printed, where CUDA cannot start. */
@Tag("gpu")
class KernelGpuTest extends KernelContract {
    @TempDir
    static Path cache;
    private static CudaTestDevices.Gpu gpu;
    private static CudaModule kernels;

    @BeforeAll
    static void open() {
        gpu = CudaTestDevices.gpu(cache);
        kernels = gpu.device() == null ? null : gpu.device().compileResource(KERNELS);
    }

    @BeforeEach
    void requireGpu() {
        gpu.orSkip();
    }

    @AfterAll
    static void close() {
        gpu.close();
    }

    @Override
    CudaDevice device() {
        return gpu.orSkip();
    }

    @Override
    CudaModule kernels() {
        gpu.orSkip();
        return kernels;
    }

    @Override
    Path cacheFolder() {
        return cache;
    }
}
