package dev.longlm.bench;

/**
 * The shape of a decoder-only llama model written with random weights for speed measurements:
 * speed depends on the shapes and types only, never on the values.
 */
public record BenchmarkModel(String name, int dim, int layers, int heads, int kvHeads, int ffn, int vocab,
                             int contextLength, float ropeBase) {
    /** Exactly Llama-3.2-1B's shape: tied embeddings, grouped-query attention, RoPE base 500000. */
    public static final BenchmarkModel LLAMA_3_2_1B =
            new BenchmarkModel("llama-3.2-1b-shape", 2048, 16, 32, 8, 8192, 128256, 131072, 500000f);

    public int headDim() {
        return dim / heads;
    }

    /** Weight elements of every matrix (the embedding is tied, so it counts once). */
    public long matrixElements() {
        long perLayer = (long) dim * dim * 2 + (long) dim * (kvHeads * headDim()) * 2 + 3L * dim * ffn;
        return perLayer * layers + (long) dim * vocab;
    }
}
