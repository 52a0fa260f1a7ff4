package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The device a contract test class runs on, opened once per class with a kernel cache in a fresh
 * temporary folder: GPU 0 with the system's libraries ({@link #gpu()}), or the fake CUDA
 * ({@link #fake()}). Where it cannot be opened (no GPU; no C compiler for the fake) every test of
 * the class is skipped with the reason, which is also printed once.
 * <pre>{@code
 * @RegisterExtension
 * static final TestDevice DEVICE = TestDevice.gpu();
 * }</pre>
 */
final class TestDevice implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
    private final boolean fake;
    private Path cacheFolder;
    private CudaDevice device;
    private CudaModule kernels;
    private String skipReason;

    private TestDevice(boolean fake) {
        this.fake = fake;
    }

    static TestDevice gpu() {
        return new TestDevice(false);
    }

    static TestDevice fake() {
        return new TestDevice(true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        cacheFolder = Files.createTempDirectory("longlm-kernel-cache");
        KernelCache cache = new KernelCache(cacheFolder);
        try {
            device = CudaDevice.open(0, fake ? FakeCuda.search() : LibrarySearch.ofSystem(), cache);
            if (!fake) {
                device.info().describe(device.memory()).forEach(System.out::println);
            }
        } catch (CudaUnavailableException e) {
            skipReason = "no CUDA GPU: " + e.getMessage();
            System.out.println("SKIPPED: " + skipReason);
        } catch (TestAbortedException e) {
            skipReason = e.getMessage();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        Assumptions.assumeTrue(device != null, skipReason);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            if (device != null) {
                device.close();
            }
        } finally {
            try (Stream<Path> files = Files.walk(cacheFolder)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    CudaDevice device() {
        return device;
    }

    Path cacheFolder() {
        return cacheFolder;
    }

    /** {@link KernelContract#KERNELS}, compiled and loaded on first use. */
    CudaModule kernels() {
        if (kernels == null) {
            kernels = device.compileResource(KernelContract.KERNELS);
        }
        return kernels;
    }
}
