package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;

/**
 * How a weight type's matrix products see their input. llama.cpp's CPU backend never multiplies
 * quantized weights by F32 activations: it first rounds each input row to the weight type's
 * "vec_dot type" (ggml's {@code type_traits_cpu[t].vec_dot_type}) and the dot product then works on
 * those 8-bit values. Doing the same rounding here makes our outputs match llama.cpp's.
 */
public enum ActivationFormat {
    /** F32, F16 and BF16 weights: activations used as they are. */
    F32(1),
    /** Q8_0, Q4_0, Q5_0 weights: blocks of 32, {@code d = amax/127} stored as f16, {@code q = rint(x·127/amax)}. */
    Q8_0(32),
    /** Q4_1, Q5_1 weights: Q8_0's rounding (the extra per-block sum does not change the values). */
    Q8_1(32),
    /** K-quant weights: blocks of 256, {@code d = max/-127} in f32 from the signed value of largest magnitude. */
    Q8_K(256);

    private final int blockSize;

    ActivationFormat(int blockSize) {
        this.blockSize = blockSize;
    }

    public int blockSize() {
        return blockSize;
    }

    /** The format ggml rounds inputs to for weights of {@code type} (its CPU vec_dot_type). */
    public static ActivationFormat forWeights(GgmlType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q5_0 -> Q8_0;
            case Q4_1, Q5_1 -> Q8_1;
            case Q4_K, Q5_K, Q6_K -> Q8_K;
            default -> F32;
        };
    }
}
