package dev.longlm.backend.cpu;

import dev.longlm.InputException;
import dev.longlm.gguf.GgmlType;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.stream.Collectors;

/** Creates the {@link WeightMatrix} implementation for a tensor's ggml type. */
public final class WeightMatrices {
    private WeightMatrices() {
    }

    public static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols) {
        return switch (type) {
            case F32 -> new F32Matrix(data, rows, cols);
            case F16 -> new F16Matrix(data, rows, cols);
            case BF16 -> new Bf16Matrix(data, rows, cols);
            case Q8_0 -> new Q8_0Matrix(data, rows, cols);
            case Q4_0 -> new Q4_0Matrix(data, rows, cols);
            case Q4_1 -> new Q4_1Matrix(data, rows, cols);
            case Q5_0 -> new Q5_0Matrix(data, rows, cols);
            case Q5_1 -> new Q5_1Matrix(data, rows, cols);
            case Q4_K -> new Q4_KMatrix(data, rows, cols);
            case Q5_K -> new Q5_KMatrix(data, rows, cols);
            case Q6_K -> new Q6_KMatrix(data, rows, cols);
            default -> throw new InputException("tensor type " + type + " is not supported; supported types: "
                    + SUPPORTED.stream().map(Enum::name).collect(Collectors.joining(", "))
                    + "; re-quantize the model to one of them");
        };
    }

    /** Types {@link #of} accepts. */
    public static final List<GgmlType> SUPPORTED = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    /**
     * Which decode kernels this machine runs: "int16x32" where 512-bit vectors let quantized types
     * multiply 8-bit activation levels in 16-bit lanes, "float" otherwise (or with -Dlonglm.kernels=float).
     */
    public static String kernels() {
        return IntegerKernels.ENABLED ? "int16x32" : "float";
    }

    /** A 2-D tensor of a GGUF file as a matrix ({@code shape[0]} columns, the rest rows). */
    public static WeightMatrix of(GgufFile file, GgufTensorInfo info) {
        return of(info.type(), file.data(info), Math.toIntExact(info.rows()), info.cols());
    }
}
