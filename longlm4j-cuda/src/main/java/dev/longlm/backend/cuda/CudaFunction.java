package dev.longlm.backend.cuda;

import java.util.Optional;

/**
 * One kernel of a {@link CudaModule} ({@code CUfunction}), with its parameter sizes where the
 * driver reports them, so that {@link KernelLauncher} can check every launch's arguments.
 */
public final class CudaFunction {
    private final CudaDriver driver;
    private final String name;
    private final long handle;
    private final Optional<int[]> parameterSizes;

    CudaFunction(CudaDriver driver, String name, long handle) {
        this.driver = driver;
        this.name = name;
        this.handle = handle;
        this.parameterSizes = driver.parameterSizes(handle);
    }

    public String name() {
        return name;
    }

    public long handle() {
        return handle;
    }

    /** Sizes in bytes of the kernel's parameters, in order (empty on drivers before CUDA 12.4). */
    public Optional<int[]> parameterSizes() {
        return parameterSizes.map(int[]::clone);
    }

    Optional<int[]> parameterSizesShared() {
        return parameterSizes;
    }

    /**
     * Allows launches with up to {@code bytes} of dynamic shared memory. Above 48 KiB a kernel
     * must opt in this way; the device's limit is {@link DeviceInfo#maxSharedMemoryPerBlockOptin}.
     */
    public void setMaxDynamicSharedMemory(int bytes) {
        driver.setFunctionAttribute(handle, CudaDriver.FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
    }

    /** A {@code CudaDriver.FUNC_ATTRIBUTE_*} value, e.g. registers per thread. */
    public int attribute(int attribute) {
        return driver.functionAttribute(handle, attribute);
    }

    /** Blocks of {@code blockSize} threads that can be resident on one multiprocessor at once. */
    public int maxActiveBlocksPerMultiprocessor(int blockSize, long dynamicSharedBytes) {
        return driver.maxActiveBlocksPerMultiprocessor(handle, blockSize, dynamicSharedBytes);
    }

    /** A launcher of this kernel on {@code stream}, with room for {@code maxArguments} arguments. */
    public KernelLauncher launcher(CudaStream stream, int maxArguments) {
        return new KernelLauncher(driver, this, stream, maxArguments);
    }

    /** A launcher with room for exactly the kernel's parameters (or 32 where the driver cannot tell). */
    public KernelLauncher launcher(CudaStream stream) {
        return launcher(stream, parameterSizes.map(s -> s.length).orElse(32));
    }

    @Override
    public String toString() {
        return "CudaFunction[" + name + "]";
    }
}
