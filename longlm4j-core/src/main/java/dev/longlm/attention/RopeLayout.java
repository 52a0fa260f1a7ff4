package dev.longlm.attention;

/** Which components of a head vector RoPE rotates together. */
public enum RopeLayout {
    /** ggml "normal" rope: pairs (x[2i], x[2i+1]); Llama GGUF files store Q/K permuted for this. */
    ADJACENT_PAIRS,
    /** GPT-NeoX rotate-half: pairs (x[i], x[i + d/2]) over the rotated dimensions d (Qwen, Phi, Gemma). */
    NEOX
}
