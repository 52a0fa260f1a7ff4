package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link KernelContract} on GPU 0; skipped, with the reason printed, where CUDA cannot start. */
@Tag("gpu")
class KernelGpuTest extends KernelContract {
    @RegisterExtension
    static final TestDevice DEVICE = TestDevice.gpu();

    @Override
    TestDevice testDevice() {
        return DEVICE;
    }
}
