package dev.longlm.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/** A loaded module ({@code CUmodule}): the kernels of one compiled CUDA source. */
public final class CudaModule implements AutoCloseable {
    private final CudaDriver driver;
    private final String name;
    private final long handle;
    private final Map<String, CudaFunction> functions = new HashMap<>();
    private boolean closed;

    /** Loads a CUBIN, fatbin or PTX image into the current context. */
    CudaModule(CudaDriver driver, String name, byte[] image) {
        this.driver = driver;
        this.name = name;
        try (Arena arena = Arena.ofConfined()) {
            // One zero byte past the end: PTX must be NUL-terminated, and a CUBIN ignores it.
            MemorySegment data = arena.allocate(image.length + 1L);
            MemorySegment.copy(image, 0, data, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, image.length);
            this.handle = driver.loadModule(data);
        }
    }

    public String name() {
        return name;
    }

    public long handle() {
        return handle;
    }

    /** The {@code extern "C"} kernel called {@code kernel}; looked up once, then cached. */
    public CudaFunction function(String kernel) {
        if (closed) {
            throw new IllegalStateException("module " + name + " is unloaded");
        }
        return functions.computeIfAbsent(kernel, k -> new CudaFunction(driver, k, driver.moduleFunction(handle, k)));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            driver.unloadModule(handle);
        }
    }
}
