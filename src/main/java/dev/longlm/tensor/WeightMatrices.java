package dev.longlm.tensor;

import dev.longlm.InputException;
import dev.longlm.gguf.GgmlType;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;

import java.lang.foreign.MemorySegment;

/** Creates the {@link WeightMatrix} implementation for a tensor's ggml type. */
public final class WeightMatrices {
    private WeightMatrices() {
    }

    public static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols) {
        return switch (type) {
            case F32 -> new F32Matrix(data, rows, cols);
            case F16 -> new F16Matrix(data, rows, cols);
            default -> throw new InputException("tensor type " + type + " is not supported yet");
        };
    }

    /** A 2-D tensor of a GGUF file as a matrix ({@code shape[0]} columns, the rest rows). */
    public static WeightMatrix of(GgufFile file, GgufTensorInfo info) {
        return of(info.type(), file.data(info), Math.toIntExact(info.rows()), info.cols());
    }
}
