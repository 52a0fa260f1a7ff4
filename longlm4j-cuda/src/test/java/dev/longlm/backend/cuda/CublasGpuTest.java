package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link CublasContract} on GPU 0; skipped, with the reason printed, where CUDA cannot start. */
@Tag("gpu")
class CublasGpuTest extends CublasContract {
    @RegisterExtension
    static final TestDevice DEVICE = TestDevice.gpu();

    @Override
    TestDevice testDevice() {
        return DEVICE;
    }
}
