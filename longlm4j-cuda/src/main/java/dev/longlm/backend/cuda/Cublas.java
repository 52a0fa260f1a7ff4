package dev.longlm.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A cuBLAS handle bound to one stream: dense GEMMs on device memory, F32 or half precision with
 * F32 accumulation ({@link GemmPrecision}). Column-major like all of BLAS; {@link #linear} is the
 * row-major product the engine uses ({@link GemmShape#linear}).
 *
 * <p>Created with a current context (cuBLAS uses the primary context, which {@link CudaDevice}
 * holds), math mode {@code CUBLAS_DEFAULT_MATH} (no TF32 for F32 products) and host pointer mode
 * (alpha and beta are read from host memory when a call is queued, so a captured graph keeps
 * them). A call allocates nothing. Not thread-safe: one handle per thread, as cuBLAS requires.
 */
public final class Cublas implements AutoCloseable {
    static final int CUDA_R_32F = 0;
    static final int CUDA_R_16F = 2;
    static final int CUDA_R_16BF = 14;
    static final int CUBLAS_COMPUTE_32F = 68;
    static final int CUBLAS_OP_N = 0;
    static final int CUBLAS_OP_T = 1;
    static final int CUBLAS_GEMM_DEFAULT = -1;
    static final int CUBLAS_STATUS_SUCCESS = 0;

    /** {@code cublasMath_t} values that matter here (cublas_api.h). */
    public enum MathMode {
        /** FP32 stays FP32; half-precision inputs use tensor cores. */
        DEFAULT(0),
        /** Exact IEEE arithmetic in the compute type, no reduced-precision shortcuts. */
        PEDANTIC(2),
        /** F32 products may round their inputs to TF32 on tensor cores (faster, ~1e-3 relative error). */
        TF32(3);

        final int value;

        MathMode(int value) {
            this.value = value;
        }
    }

    private final MethodHandle cublasDestroy;
    private final MethodHandle cublasSetStream;
    private final MethodHandle cublasSetMathMode;
    private final MethodHandle cublasSetWorkspace;
    private final MethodHandle cublasGemmEx;
    private final Optional<MethodHandle> cublasGetStatusName;
    private final long handle;
    private final int version;
    private final MemorySegment alpha;
    private final MemorySegment beta;
    private boolean closed;

    /** Creates a handle on the current context and binds it to {@code stream}. */
    Cublas(NativeLibrary lib, CudaStream stream) {
        MethodHandle create = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cublasCreate_v2");
        MethodHandle getVersion = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS), "cublasGetVersion_v2");
        cublasDestroy = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG), "cublasDestroy_v2");
        cublasSetStream = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), "cublasSetStream_v2");
        cublasSetMathMode = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT), "cublasSetMathMode");
        cublasSetWorkspace = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                "cublasSetWorkspace_v2");
        cublasGemmEx = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), "cublasGemmEx");
        cublasGetStatusName = lib.optionalFunction(FunctionDescriptor.of(ADDRESS, JAVA_INT), "cublasGetStatusName");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            check((int) create.invokeExact(out), "cublasCreate");
            handle = out.get(JAVA_LONG, 0);
            MemorySegment v = arena.allocate(JAVA_INT);
            check((int) getVersion.invokeExact(handle, v), "cublasGetVersion");
            version = v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        MemorySegment scalars = Arena.ofAuto().allocate(8, 4);
        alpha = scalars.asSlice(0, 4);
        beta = scalars.asSlice(4, 4);
        setStream(stream);
        setMathMode(MathMode.DEFAULT);
    }

    /** cuBLAS's version, e.g. 130100 for 13.1.0 ({@code major·10000 + minor·100 + patch}). */
    public int version() {
        return version;
    }

    public long handle() {
        return handle;
    }

    /** Queues later calls on {@code stream}. */
    public void setStream(CudaStream stream) {
        int r;
        try {
            r = (int) cublasSetStream.invokeExact(handle, stream.handle());
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cublasSetStream");
    }

    public void setMathMode(MathMode mode) {
        int r;
        try {
            r = (int) cublasSetMathMode.invokeExact(handle, mode.value);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cublasSetMathMode");
    }

    /**
     * Gives cuBLAS a fixed workspace instead of the one it allocates itself; with it, capturing
     * GEMMs into graphs allocates nothing (NVIDIA suggests 32 MiB on Hopper, 4 MiB before).
     * {@code workspace} must stay allocated while the handle and any graph using it live.
     */
    public void setWorkspace(DeviceMemory workspace) {
        int r;
        try {
            r = (int) cublasSetWorkspace.invokeExact(handle, workspace.address(), workspace.bytes());
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cublasSetWorkspace");
    }

    /**
     * {@code Y = X · Wᵀ} (with {@code alpha = 1, beta = 0}) in row-major terms: {@code weights} W is
     * rows×cols, {@code input} X is n×cols, {@code output} Y is n×rows, all dense and row-major
     * ({@link GemmShape#linear}). W and X in {@code precision}'s input type, Y in its output type.
     */
    public void linear(GemmPrecision precision, long weights, long input, long output, int rows, int cols, int n) {
        linear(precision, weights, input, output, rows, cols, n, 1f, 0f);
    }

    /**
     * {@code Y = alpha · X · Wᵀ + beta · Y}; {@code beta = 1} adds the product to Y (a residual) in
     * the same pass.
     */
    public void linear(GemmPrecision precision, long weights, long input, long output, int rows, int cols, int n,
                       float alpha, float beta) {
        gemm(precision, GemmShape.linear(rows, cols, n), weights, input, output, alpha, beta);
    }

    /**
     * {@link #linear(GemmPrecision, long, long, long, int, int, int, float, float)} on device ranges,
     * first checked to hold their matrices: cuBLAS reading past an allocation is a GPU fault that
     * ruins the context, this is an exception naming the operand.
     */
    public void linear(GemmPrecision precision, DeviceMemory weights, DeviceMemory input, DeviceMemory output, int rows,
                       int cols, int n, float alpha, float beta) {
        requireHolds(weights, (long) rows * cols * precision.inputBytes(), "weights", rows, cols);
        requireHolds(input, (long) n * cols * precision.inputBytes(), "input", n, cols);
        requireHolds(output, (long) n * rows * precision.outputBytes(), "output", n, rows);
        linear(precision, weights.address(), input.address(), output.address(), rows, cols, n, alpha, beta);
    }

    private static void requireHolds(DeviceMemory memory, long bytes, String operand, int rows, int cols) {
        if (memory.bytes() < bytes) {
            throw new IndexOutOfBoundsException(operand + " of " + rows + "x" + cols + " needs " + bytes
                    + " bytes but its device range has " + memory.bytes());
        }
    }

    /** {@code C = alpha · op(A) · op(B) + beta · C} in column-major terms ({@code cublasGemmEx}). */
    public void gemm(GemmPrecision precision, GemmShape shape, long a, long b, long c, float alpha, float beta) {
        this.alpha.set(JAVA_FLOAT, 0, alpha);
        this.beta.set(JAVA_FLOAT, 0, beta);
        int r;
        try {
            r = (int) cublasGemmEx.invokeExact(handle, shape.transposeA() ? CUBLAS_OP_T : CUBLAS_OP_N,
                    shape.transposeB() ? CUBLAS_OP_T : CUBLAS_OP_N, shape.m(), shape.n(), shape.k(),
                    this.alpha, a, precision.inputType, shape.lda(), b, precision.inputType, shape.ldb(),
                    this.beta, c, precision.outputType, shape.ldc(), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        if (r != CUBLAS_STATUS_SUCCESS) {
            throw new CudaException("cublasGemmEx(" + precision + ", " + shape + ")", r, statusName(r));
        }
    }

    /** cuBLAS's name for a status, e.g. {@code CUBLAS_STATUS_INVALID_VALUE}. */
    public String statusName(int status) {
        if (cublasGetStatusName.isPresent()) {
            try {
                return NativeLibrary.cString((MemorySegment) cublasGetStatusName.get().invokeExact(status));
            } catch (Throwable t) {
                throw NativeLibrary.rethrow(t);
            }
        }
        return switch (status) {
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            default -> "cublasStatus " + status;
        };
    }

    private void check(int status, String call) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            throw new CudaException(call, status, statusName(status));
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            int r;
            try {
                r = (int) cublasDestroy.invokeExact(handle);
            } catch (Throwable t) {
                throw NativeLibrary.rethrow(t);
            }
            check(r, "cublasDestroy");
        }
    }
}
