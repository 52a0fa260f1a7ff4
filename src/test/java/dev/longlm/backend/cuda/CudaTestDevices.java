package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;

/** Opens the device a contract test runs on: the real GPU (skipped, with the reason, where there is none) or the fake. */
final class CudaTestDevices {
    private CudaTestDevices() {
    }

    /** GPU 0 with the system's libraries and its description printed, or why there is none. */
    record Gpu(CudaDevice device, String skipReason) {
        /** Skips the calling test, with the reason, where there is no GPU. */
        CudaDevice orSkip() {
            Assumptions.assumeTrue(device != null, skipReason);
            return device;
        }

        void close() {
            if (device != null) {
                device.close();
            }
        }
    }

    static Gpu gpu(Path cacheFolder) {
        try {
            CudaDevice device = CudaDevice.open(0, LibrarySearch.ofSystem(), new KernelCache(cacheFolder));
            device.info().describe(device.memory()).forEach(System.out::println);
            return new Gpu(device, null);
        } catch (CudaUnavailableException e) {
            String reason = "no CUDA GPU: " + e.getMessage();
            System.out.println("SKIPPED: " + reason);
            return new Gpu(null, reason);
        }
    }

    /** The fake CUDA's device (see {@link FakeCuda}). */
    static CudaDevice fake(Path cacheFolder) {
        return CudaDevice.open(0, FakeCuda.search(), new KernelCache(cacheFolder));
    }
}
