package dev.longlm.backend.cuda;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * {@link CublasContract} on the fake CUDA ({@link FakeCuda}): checks the bindings' calls across
 * the FFM boundary on machines without a GPU (CI); skipped where no C compiler runs.
 */
class CublasFakeDriverTest extends CublasContract {
    @TempDir
    static Path cache;
    private static CudaDevice device;

    @BeforeAll
    static void open() {
        device = CudaTestDevices.fake(cache);
    }

    @AfterAll
    static void close() {
        if (device != null) {
            device.close();
        }
    }

    @Override
    CudaDevice device() {
        return device;
    }
}
