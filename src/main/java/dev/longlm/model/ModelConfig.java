package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.attention.RopeLayout;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufMetadata;

/**
 * Hyper-parameters of a model, read from GGUF metadata (the single source of truth: nothing here is
 * assumed from the architecture's name beyond what llama.cpp also assumes).
 */
public record ModelConfig(
        String architecture,
        String name,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int ffnDim,
        int vocabSize,
        int contextLength,
        float normEps,
        double ropeBase,
        int ropeDims,
        RopeLayout ropeLayout) {

    public int queryDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    public static ModelConfig fromGguf(GgufFile file) {
        GgufMetadata md = file.metadata();
        String arch = md.getString("general.architecture");
        Architecture architecture = Architecture.forName(arch, file.path());
        String p = arch + ".";
        int dim = md.getInt(p + "embedding_length");
        int layers = md.getInt(p + "block_count");
        int heads = md.getInt(p + "attention.head_count");
        int kvHeads = md.getInt(p + "attention.head_count_kv", heads);
        int headDim = md.getInt(p + "attention.key_length", dim / heads);
        int ffn = md.getInt(p + "feed_forward_length");
        int vocab = md.getStrings("tokenizer.ggml.tokens").map(t -> t.length)
                .orElseGet(() -> Math.toIntExact(file.tensor("token_embd.weight").rows()));
        int ctx = md.getInt(p + "context_length");
        float eps = md.getFloat(p + "attention.layer_norm_rms_epsilon",
                md.getFloat(p + "attention.layer_norm_epsilon", 1e-5f));
        double base = md.getFloat(p + "rope.freq_base", 10000f);
        int ropeDims = md.getInt(p + "rope.dimension_count", headDim);
        if (heads % kvHeads != 0) {
            throw new InputException(file.path() + ": " + heads + " attention heads are not a multiple of " + kvHeads + " KV heads");
        }
        return new ModelConfig(arch, md.getString("general.name", file.path().getFileName().toString()), dim, layers,
                heads, kvHeads, headDim, ffn, vocab, ctx, eps, base, ropeDims, architecture.ropeLayout());
    }
}
