package dev.longlm.quantize;

import dev.longlm.InputException;
import dev.longlm.gguf.GgmlType;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A whole-model quantization target: the base type of its weight matrices and the llama_ftype
 * number recorded as {@code general.file_type}. The _M targets are llama.cpp's mixes, where some
 * sensitive tensors get more bits (see {@link TensorTypePolicy}).
 */
public enum QuantTarget {
    F16(GgmlType.F16, 1),
    BF16(GgmlType.BF16, 32),
    Q8_0(GgmlType.Q8_0, 7),
    Q4_0(GgmlType.Q4_0, 2),
    Q4_1(GgmlType.Q4_1, 3),
    Q5_0(GgmlType.Q5_0, 8),
    Q5_1(GgmlType.Q5_1, 9),
    Q4_K_M(GgmlType.Q4_K, 15),
    Q5_K_M(GgmlType.Q5_K, 17),
    Q6_K(GgmlType.Q6_K, 18);

    private final GgmlType baseType;
    private final int fileType;

    QuantTarget(GgmlType baseType, int fileType) {
        this.baseType = baseType;
        this.fileType = fileType;
    }

    public GgmlType baseType() {
        return baseType;
    }

    /** llama.cpp's llama_ftype number. */
    public int fileType() {
        return fileType;
    }

    /** Parses a name such as {@code q4_k_m}, {@code Q8_0} or {@code q4_k} (meaning Q4_K_M). */
    public static QuantTarget parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.equals("Q4_K")) {
            return Q4_K_M;
        }
        if (n.equals("Q5_K")) {
            return Q5_K_M;
        }
        for (QuantTarget t : values()) {
            if (t.name().equals(n)) {
                return t;
            }
        }
        throw new InputException("unknown quantization type '" + name + "'; choose one of "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
