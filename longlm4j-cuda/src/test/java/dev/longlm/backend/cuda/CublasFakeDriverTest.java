package dev.longlm.backend.cuda;

import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link CublasContract} on the fake CUDA ({@link FakeCuda}): checks the bindings' calls across the
 * FFM boundary on machines without a GPU (CI); skipped where no C compiler runs.
 */
class CublasFakeDriverTest extends CublasContract {
    @RegisterExtension
    static final TestDevice DEVICE = TestDevice.fake();

    @Override
    TestDevice testDevice() {
        return DEVICE;
    }
}
