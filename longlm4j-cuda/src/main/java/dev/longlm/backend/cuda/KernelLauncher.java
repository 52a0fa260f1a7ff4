package dev.longlm.backend.cuda;

import java.lang.foreign.Arena;

/**
 * Launches one kernel on one stream with reusable arguments; nothing is allocated per launch:
 * <pre>{@code
 * KernelLauncher rmsNorm = module.function("rms_norm").launcher(device.stream());
 * ...
 * rmsNorm.args().pointer(x).pointer(weight).i32(n).f32(eps);
 * rmsNorm.launch(rows, 256, 0);
 * }</pre>
 * Each launch checks the arguments against the kernel's parameter sizes where the driver reports
 * them ({@link CudaFunction#parameterSizes}). Not thread-safe: one launcher per launching thread.
 */
public final class KernelLauncher {
    private final CudaDriver driver;
    private final CudaFunction function;
    private final CudaStream stream;
    private final KernelArgs args;
    private final int[] parameterSizes;

    KernelLauncher(CudaDriver driver, CudaFunction function, CudaStream stream, int maxArguments) {
        this.driver = driver;
        this.function = function;
        this.stream = stream;
        // Automatic arena: the few bytes live as long as the launcher is reachable.
        this.args = new KernelArgs(Arena.ofAuto(), maxArguments);
        this.parameterSizes = function.parameterSizesShared().orElse(null);
    }

    public CudaFunction function() {
        return function;
    }

    /** The arguments, cleared, to set for the next launch. */
    public KernelArgs args() {
        return args.clear();
    }

    /** The arguments as set for the next launch (or the last one), not cleared: for comparing two launches' arguments. */
    KernelArgs currentArgs() {
        return args;
    }

    /** A 1-D launch: {@code blocks} blocks of {@code threads} threads. */
    public void launch(int blocks, int threads, int sharedBytes) {
        launch(blocks, 1, 1, threads, 1, 1, sharedBytes);
    }

    /** A launch with the arguments set through {@link #args()}. */
    public void launch(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes) {
        if (parameterSizes != null) {
            args.requireMatches(parameterSizes, function.name());
        }
        try {
            driver.launch(function.handle(), gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream.handle(),
                    args.pointerArray());
        } catch (CudaException e) {
            throw new CudaException(e.call() + " of " + function.name(), e.code(), e.errorName(),
                    CudaDriver.faultNote(e.code()));
        }
    }
}
