package dev.longlm.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

/** A loaded module ({@code CUmodule}): the kernels of one compiled CUDA source. */
public final class CudaModule implements AutoCloseable {
    private final CudaDriver driver;
    private final String name;
    private final long handle;
    private final Arena imageArena;
    private final Map<String, CudaFunction> functions = new HashMap<>();
    private boolean closed;

    /** Loads a CUBIN, fatbin or PTX image into the current context. */
    CudaModule(CudaDriver driver, String name, byte[] image) {
        this.driver = driver;
        this.name = name;
        // The image stays allocated while the module is loaded: with lazy loading (the default since
        // CUDA 12.2) the driver may read a kernel's code at its first launch. One zero byte past the
        // end: PTX must be NUL-terminated, and a CUBIN ignores it.
        this.imageArena = Arena.ofShared();
        MemorySegment data = imageArena.allocate(image.length + 1L);
        MemorySegment.copy(image, 0, data, ValueLayout.JAVA_BYTE, 0, image.length);
        try {
            this.handle = driver.loadModule(data);
        } catch (RuntimeException e) {
            imageArena.close();
            throw e;
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
            try {
                driver.unloadModule(handle);
            } finally {
                imageArena.close();
            }
        }
    }
}
