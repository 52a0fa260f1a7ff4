package dev.longlm.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One loaded shared library and the downcall handles made from it.
 *
 * <p>Conventions of every binding in this package: CUDA handles ({@code CUstream}, {@code CUfunction},
 * ...), device addresses ({@code CUdeviceptr}) and {@code size_t} cross as {@code JAVA_LONG}, and
 * 32-bit enums and {@code unsigned int} as {@code JAVA_INT}: on the x86-64 and AArch64 Linux ABIs a
 * pointer and a 64-bit integer travel in the same register, so this is exact, and the hot calls
 * (launches, async copies, GEMMs) then take plain {@code long}s without wrapping them in
 * {@link MemorySegment}s. Host memory and out-parameters cross as {@code ADDRESS}.
 *
 * <p>No handle uses {@link Linker.Option#critical}: its contract is a call "similar to calling an
 * empty function", and none of these is: {@code cuLaunchKernel} blocks once the launch queue is full,
 * copies and synchronizations wait for the GPU, and even {@code cuEventRecord} takes driver locks.
 */
final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();

    private final Path path;
    private final SymbolLookup lookup;

    private NativeLibrary(Path path, SymbolLookup lookup) {
        this.path = path;
        this.lookup = lookup;
    }

    /**
     * Loads the library at {@code path} for the life of the process (a CUDA library is never
     * unloaded: the driver keeps threads and state that outlive any one user).
     */
    static NativeLibrary load(Path path) {
        try {
            return new NativeLibrary(path, SymbolLookup.libraryLookup(path, Arena.global()));
        } catch (IllegalArgumentException e) {
            throw new CudaUnavailableException("cannot load " + path + " (" + e.getMessage()
                    + "); reinstall it, or point LONGLM_CUDA_LIBRARY_PATH at a folder holding a working copy");
        }
    }

    Path path() {
        return path;
    }

    /** The first of {@code names} the library exports, bound to {@code descriptor}. */
    MethodHandle function(FunctionDescriptor descriptor, String... names) {
        return optionalFunction(descriptor, names).orElseThrow(() -> new CudaUnavailableException(
                path + " has no " + String.join(" or ", names)
                        + ": the library is older than longlm needs; update it (for libcuda: the NVIDIA driver)"));
    }

    /** Like {@link #function}, for functions that newer libraries add and that longlm can do without. */
    Optional<MethodHandle> optionalFunction(FunctionDescriptor descriptor, String... names) {
        for (String name : names) {
            Optional<MemorySegment> symbol = lookup.find(name);
            if (symbol.isPresent()) {
                return Optional.of(LINKER.downcallHandle(symbol.get(), descriptor));
            }
        }
        return Optional.empty();
    }

    /** Reads a NUL-terminated string the library returned (an error name, a version string). */
    static String cString(MemorySegment pointer) {
        return pointer.equals(MemorySegment.NULL) ? "" : pointer.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /**
     * {@code MethodHandle.invokeExact} declares {@code Throwable}; a downcall only throws for a
     * mismatched call site (a bug here), so this rethrows unchecked.
     */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
