package dev.longlm.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * NVRTC, the CUDA runtime compiler ({@code libnvrtc.so.13} or {@code .12}): CUDA C source to CUBIN
 * or PTX in the process, with no toolkit installed. Compiling needs no GPU and no context.
 * Thread-safe (each compile has its own program).
 */
public final class Nvrtc {
    static final int NVRTC_SUCCESS = 0;

    private final NativeLibrary library;
    private final MethodHandle nvrtcVersion;
    private final MethodHandle nvrtcGetErrorString;
    private final MethodHandle nvrtcGetNumSupportedArchs;
    private final MethodHandle nvrtcGetSupportedArchs;
    private final MethodHandle nvrtcCreateProgram;
    private final MethodHandle nvrtcDestroyProgram;
    private final MethodHandle nvrtcCompileProgram;
    private final MethodHandle nvrtcGetProgramLogSize;
    private final MethodHandle nvrtcGetProgramLog;
    private final MethodHandle nvrtcGetCUBINSize;
    private final MethodHandle nvrtcGetCUBIN;
    private final MethodHandle nvrtcGetPTXSize;
    private final MethodHandle nvrtcGetPTX;

    Nvrtc(NativeLibrary lib) {
        this.library = lib;
        FunctionDescriptor sizeOut = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS);
        nvrtcVersion = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "nvrtcVersion");
        nvrtcGetErrorString = lib.function(FunctionDescriptor.of(ADDRESS, JAVA_INT), "nvrtcGetErrorString");
        nvrtcGetNumSupportedArchs = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS), "nvrtcGetNumSupportedArchs");
        nvrtcGetSupportedArchs = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS), "nvrtcGetSupportedArchs");
        nvrtcCreateProgram = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS,
                ADDRESS), "nvrtcCreateProgram");
        nvrtcDestroyProgram = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS), "nvrtcDestroyProgram");
        nvrtcCompileProgram = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS),
                "nvrtcCompileProgram");
        nvrtcGetProgramLogSize = lib.function(sizeOut, "nvrtcGetProgramLogSize");
        nvrtcGetProgramLog = lib.function(sizeOut, "nvrtcGetProgramLog");
        nvrtcGetCUBINSize = lib.function(sizeOut, "nvrtcGetCUBINSize");
        nvrtcGetCUBIN = lib.function(sizeOut, "nvrtcGetCUBIN");
        nvrtcGetPTXSize = lib.function(sizeOut, "nvrtcGetPTXSize");
        nvrtcGetPTX = lib.function(sizeOut, "nvrtcGetPTX");
    }

    /** Binds the NVRTC library at {@code path}. */
    public static Nvrtc load(Path path) {
        return new Nvrtc(NativeLibrary.load(path));
    }

    public Path path() {
        return library.path();
    }

    /** E.g. {@code "13.0"}. */
    public String version() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment major = arena.allocate(JAVA_INT);
            MemorySegment minor = arena.allocate(JAVA_INT);
            check((int) nvrtcVersion.invokeExact(major, minor), "nvrtcVersion");
            return major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    /** The {@code sm_XY} numbers this NVRTC can compile CUBINs for, e.g. {@code [75, 80, ..., 120]}. */
    public int[] supportedArchitectures() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            check((int) nvrtcGetNumSupportedArchs.invokeExact(count), "nvrtcGetNumSupportedArchs");
            int n = count.get(JAVA_INT, 0);
            MemorySegment archs = arena.allocate(JAVA_INT, Math.max(1, n));
            check((int) nvrtcGetSupportedArchs.invokeExact(archs), "nvrtcGetSupportedArchs");
            return archs.asSlice(0, 4L * n).toArray(JAVA_INT);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    /** What {@link #compile} produced: the image and the compiler's log (warnings; often empty). */
    public record Output(byte[] image, String log) {
    }

    /**
     * Compiles one header-free source. {@code cubin} picks a CUBIN (for an {@code sm_XY}
     * architecture option) or NUL-terminated PTX (for {@code compute_XY}). A compile error is a
     * {@link CudaException} whose message carries the log.
     *
     * @param name    the program's name, as it appears in the log's messages
     * @param options e.g. {@code --gpu-architecture=sm_90}, {@code --std=c++17}
     */
    public Output compile(String name, String source, List<String> options, boolean cubin) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment programOut = arena.allocate(ADDRESS);
            check((int) nvrtcCreateProgram.invokeExact(programOut, arena.allocateFrom(source), arena.allocateFrom(name),
                    0, MemorySegment.NULL, MemorySegment.NULL), "nvrtcCreateProgram(" + name + ")");
            long program = programOut.get(JAVA_LONG, 0);
            try {
                MemorySegment optionArray = arena.allocate(ADDRESS, Math.max(1, options.size()));
                for (int i = 0; i < options.size(); i++) {
                    optionArray.setAtIndex(ADDRESS, i, arena.allocateFrom(options.get(i)));
                }
                int compiled = (int) nvrtcCompileProgram.invokeExact(program, options.size(), optionArray);
                String log = new String(readBytes(arena, program, nvrtcGetProgramLogSize, nvrtcGetProgramLog, "ProgramLog",
                        name), StandardCharsets.UTF_8).replace("\0", "").strip();
                if (compiled != NVRTC_SUCCESS) {
                    throw new CudaException("nvrtcCompileProgram(" + name + ", " + String.join(" ", options) + ")",
                            compiled, errorName(compiled), log.isEmpty() ? "no log" : "\n" + log);
                }
                byte[] image = cubin
                        ? readBytes(arena, program, nvrtcGetCUBINSize, nvrtcGetCUBIN, "CUBIN", name)
                        : readBytes(arena, program, nvrtcGetPTXSize, nvrtcGetPTX, "PTX", name);
                return new Output(image, log);
            } finally {
                check((int) nvrtcDestroyProgram.invokeExact(programOut), "nvrtcDestroyProgram");
            }
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    private byte[] readBytes(Arena arena, long program, MethodHandle size, MethodHandle get, String what, String name)
            throws Throwable {
        MemorySegment sizeOut = arena.allocate(JAVA_LONG);
        check((int) size.invokeExact(program, sizeOut), "nvrtcGet" + what + "Size(" + name + ")");
        long n = sizeOut.get(JAVA_LONG, 0);
        MemorySegment data = arena.allocate(Math.max(1, n));
        check((int) get.invokeExact(program, data), "nvrtcGet" + what + "(" + name + ")");
        return data.asSlice(0, n).toArray(JAVA_BYTE);
    }

    /** {@code nvrtcGetErrorString}'s name for a result, e.g. {@code NVRTC_ERROR_COMPILATION}. */
    public String errorName(int result) {
        try {
            return NativeLibrary.cString((MemorySegment) nvrtcGetErrorString.invokeExact(result));
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    private void check(int result, String call) {
        if (result != NVRTC_SUCCESS) {
            throw new CudaException(call, result, errorName(result));
        }
    }
}
