package dev.longlm.backend.cuda;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One GPU opened for the engine: the driver, the device's primary context (current on the thread
 * that opened it), one stream, a cuBLAS handle on that stream (with its own workspace, so GEMMs can
 * be captured into graphs), the kernel compiler, and an allocator that checks free memory before it
 * allocates and frees whatever is left at {@link #close()}.
 * <pre>{@code
 * try (CudaDevice gpu = CudaDevice.open(0)) {
 *     DeviceMemory x = gpu.allocate("activations", bytes);
 *     CudaModule norms = gpu.compileResource("norms.cu");
 *     KernelLauncher rms = norms.function("rms_norm").launcher(gpu.stream());
 *     ...
 * }
 * }</pre>
 *
 * <p>Threads: a CUDA context is current per thread. The opening thread is bound; any other thread
 * calls {@link #bindToCurrentThread()} once before its first CUDA call. The object itself is not
 * synchronized: the engine drives one GPU from one thread at a time.
 */
public final class CudaDevice implements AutoCloseable {
    private final CudaDriver driver;
    private final int device;
    private final long context;
    private final DeviceInfo info;
    private final CudaStream stream;
    private final Cublas cublas;
    private final KernelCompiler compiler;
    private final Map<Long, MemoryRequest> allocations = new HashMap<>();
    private final List<CudaModule> modules = new ArrayList<>();
    private long held;
    private boolean closed;

    private CudaDevice(CudaDriver driver, int ordinal, CudaLibraries libraries, CudaLibraries.Loaded loaded,
                       KernelCache cache) {
        this.driver = driver;
        this.device = driver.device(ordinal);
        this.context = driver.retainPrimaryContext(device);
        driver.setCurrentContext(context);
        CudaStream createdStream = null;
        Cublas createdCublas = null;
        try {
            createdStream = new CudaStream(driver);
            createdCublas = new Cublas(loaded.cublas(), createdStream);
            Nvrtc nvrtc = new Nvrtc(loaded.nvrtc());
            ComputeCapability cc = new ComputeCapability(
                    driver.deviceAttribute(device, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                    driver.deviceAttribute(device, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));
            this.compiler = new KernelCompiler(nvrtc, cc, cache);
            this.info = new DeviceInfo(ordinal, driver.deviceName(device), cc,
                    driver.deviceAttribute(device, CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT),
                    driver.deviceAttribute(device, CudaDriver.ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN),
                    driver.deviceAttribute(device, CudaDriver.ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR),
                    driver.deviceTotalMemory(device), driver.driverVersion(), readDriverRelease(), driver.path(),
                    libraries, createdCublas.version(), compiler.nvrtcVersion(), compiler.target());
        } catch (RuntimeException | Error e) {
            List<Runnable> undo = new ArrayList<>();
            if (createdCublas != null) {
                undo.add(createdCublas::close);
            }
            if (createdStream != null) {
                undo.add(createdStream::close);
            }
            undo.add(() -> driver.releasePrimaryContext(device));
            for (Runnable step : undo) {
                try {
                    step.run();
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
        this.stream = createdStream;
        this.cublas = createdCublas;
        try {
            cublas.setWorkspace(allocate("cuBLAS workspace", cublasWorkspaceBytes(info.computeCapability())));
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * The workspace NVIDIA recommends for {@code cublasSetWorkspace}: 32 MiB on Hopper and newer,
     * 4 MiB before. A fixed workspace lets GEMMs be captured into graphs without cuBLAS allocating.
     */
    static long cublasWorkspaceBytes(ComputeCapability cc) {
        return cc.major() >= 9 ? 32L << 20 : 4L << 20;
    }

    /** Opens GPU {@code ordinal} with the libraries found on this system and the default kernel cache. */
    public static CudaDevice open(int ordinal) {
        return open(ordinal, LibrarySearch.ofSystem(),
                new KernelCache(KernelCache.defaultFolder(System.getenv(), System.getProperty("user.home"))));
    }

    /**
     * Opens GPU {@code ordinal}. Anything missing (driver, GPU, cuBLAS, NVRTC, a GPU the libraries
     * cannot compile for) is a {@link CudaUnavailableException} with one line saying what and how
     * to get it.
     *
     * @param cache where compiled kernels are kept, or {@code null} to compile every time
     */
    public static CudaDevice open(int ordinal, LibrarySearch search, KernelCache cache) {
        CudaDriver driver = CudaDriver.load(search.require(CudaLibrary.DRIVER, 0));
        driver.init();
        int count = driver.deviceCount();
        if (count == 0) {
            throw new CudaUnavailableException("the NVIDIA driver sees no CUDA GPU; check nvidia-smi, or use --device cpu");
        }
        if (ordinal < 0 || ordinal >= count) {
            throw new CudaUnavailableException("GPU " + ordinal + " does not exist: the driver sees " + count
                    + (count == 1 ? " GPU (number 0)" : " GPUs (numbers 0 to " + (count - 1) + ")"));
        }
        CudaLibraries libraries = CudaLibraries.locate(search, driver.driverVersion() / 1000);
        return new CudaDevice(driver, ordinal, libraries, libraries.load(), cache);
    }

    public DeviceInfo info() {
        return info;
    }

    /** Free and total memory now, and what this allocator holds. */
    public MemoryStatus memory() {
        long[] freeTotal = driver.memoryInfo();
        return new MemoryStatus(freeTotal[0], freeTotal[1], held);
    }

    /** Makes this GPU's context current on the calling thread (needed once per thread, before any CUDA call). */
    public void bindToCurrentThread() {
        driver.setCurrentContext(context);
    }

    public CudaDriver driver() {
        return driver;
    }

    /** The stream all of the engine's work goes on. */
    public CudaStream stream() {
        return stream;
    }

    /** cuBLAS, bound to {@link #stream()}. */
    public Cublas cublas() {
        return cublas;
    }

    public KernelCompiler compiler() {
        return compiler;
    }

    // ---- memory ----

    /**
     * Throws a {@link CudaOutOfMemoryException} naming each part and the GPU's free memory unless all
     * of {@code requests} fit at once; call it with the whole plan (weights, KV cache, activations)
     * before allocating any of it.
     */
    public void ensureFits(List<MemoryRequest> requests) {
        MemoryStatus m = memory();
        MemoryBudget.check(requests, m.free(), m.total(), m.held(), info.name());
    }

    /** Allocates {@code bytes} of device memory for {@code what} (named in messages), checking free memory first. */
    public DeviceMemory allocate(String what, long bytes) {
        if (bytes == 0) {
            return new DeviceMemory(0, 0);
        }
        MemoryRequest request = new MemoryRequest(what, bytes);
        ensureFits(List.of(request));
        long address = driver.allocate(bytes);
        allocations.put(address, request);
        held += bytes;
        return new DeviceMemory(address, bytes);
    }

    /** Frees memory from {@link #allocate} (the whole allocation, not a slice of it). */
    public void free(DeviceMemory memory) {
        if (memory.bytes() == 0 && memory.address() == 0) {
            return;
        }
        MemoryRequest request = allocations.remove(memory.address());
        if (request == null) {
            throw new IllegalArgumentException("device address 0x" + Long.toHexString(memory.address())
                    + " is not the start of an allocation of this device (already freed, or a slice)");
        }
        held -= request.bytes();
        driver.free(memory.address());
    }

    /** Page-locked host memory for fast transfers. */
    public PinnedHostBuffer allocatePinned(long bytes) {
        return new PinnedHostBuffer(driver, bytes);
    }

    /** Copies all of {@code host} to {@code destination} and waits (after all work queued on the stream). */
    public void copyToDevice(MemorySegment host, DeviceMemory destination) {
        stream.copyToDevice(host, destination);
        stream.synchronize();
    }

    /** Waits for the stream's work, then fills all of {@code host} from {@code source}. */
    public void copyToHost(DeviceMemory source, MemorySegment host) {
        stream.copyToHost(source, host);
        stream.synchronize();
    }

    /** Waits for all work queued on the stream. */
    public void synchronize() {
        stream.synchronize();
    }

    // ---- streams, events, kernels ----

    /** Another stream, e.g. to overlap uploads with compute; close it when done. */
    public CudaStream createStream() {
        return new CudaStream(driver);
    }

    /** An event; {@code timing} enables {@link CudaEvent#millisSince} (slightly slower to record). */
    public CudaEvent createEvent(boolean timing) {
        return new CudaEvent(driver, timing);
    }

    /** Loads a compiled image (CUBIN, fatbin or PTX); unloaded at {@link #close()} unless closed earlier. */
    public CudaModule loadModule(String name, byte[] image) {
        CudaModule module = new CudaModule(driver, name, image);
        modules.add(module);
        return module;
    }

    /** Compiles (or takes from the cache) and loads {@code source}. */
    public CudaModule compile(String name, String source, List<String> options) {
        return loadModule(name, compiler.compile(name, source, options).image());
    }

    /** Compiles and loads the kernel source resource {@code fileName} (see {@link KernelCompiler#RESOURCE_FOLDER}). */
    public CudaModule compileResource(String fileName, String... options) {
        return compile(fileName, KernelCompiler.resource(fileName), List.of(options));
    }

    /**
     * Frees what is left: modules, the cuBLAS handle, allocations, the stream, and the hold on the
     * primary context. Waits for queued work first. Every step runs even if one fails; the first
     * failure is thrown at the end.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Runnable> steps = new ArrayList<>();
        steps.add(() -> driver.setCurrentContext(context));
        steps.add(stream::synchronize);
        for (CudaModule module : modules) {
            steps.add(module::close);
        }
        steps.add(cublas::close);
        for (long address : allocations.keySet()) {
            steps.add(() -> driver.free(address));
        }
        steps.add(stream::close);
        steps.add(() -> driver.releasePrimaryContext(device));
        RuntimeException first = null;
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        allocations.clear();
        held = 0;
        if (first != null) {
            throw first;
        }
    }

    private static Optional<String> readDriverRelease() {
        try {
            return DeviceInfo.driverRelease(Files.readString(Path.of("/proc/driver/nvidia/version")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
