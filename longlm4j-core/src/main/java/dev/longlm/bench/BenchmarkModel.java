package dev.longlm.bench;

/**
 * The shape of a decoder-only llama model written with random weights for speed measurements:
 * speed depends on the shapes and types only, never on the values.
 */
public record BenchmarkModel(String name, int dim, int layers, int heads, int kvHeads, int ffn, int vocab,
                             int contextLength, float ropeBase, boolean tiedEmbeddings) {
    /** Exactly Llama-3.2-1B's shape: tied embeddings, grouped-query attention, RoPE base 500000. */
    public static final BenchmarkModel LLAMA_3_2_1B =
            new BenchmarkModel("llama-3.2-1b-shape", 2048, 16, 32, 8, 8192, 128256, 131072, 500000f, true);
    /** Exactly Llama-3.1-8B's shape: 32 layers of dim 4096, 8 KV heads, FFN 14336, its own output matrix. */
    public static final BenchmarkModel LLAMA_3_1_8B =
            new BenchmarkModel("llama-3.1-8b-shape", 4096, 32, 32, 8, 14336, 128256, 131072, 500000f, false);

    /** The shape a {@code --shape} flag names: {@code 1b} or {@code 8b}. */
    public static BenchmarkModel named(String shape) {
        return switch (shape) {
            case "1b" -> LLAMA_3_2_1B;
            case "8b" -> LLAMA_3_1_8B;
            default -> throw new dev.longlm.InputException("unknown --shape '" + shape + "'; choose 1b (Llama-3.2-1B) or 8b (Llama-3.1-8B)");
        };
    }

    public int headDim() {
        return dim / heads;
    }

    /** Weight elements of every matrix (a tied embedding counts once). */
    public long matrixElements() {
        long perLayer = (long) dim * dim * 2 + (long) dim * (kvHeads * headDim()) * 2 + 3L * dim * ffn;
        return perLayer * layers + (long) dim * vocab * (tiedEmbeddings ? 1 : 2);
    }
}
