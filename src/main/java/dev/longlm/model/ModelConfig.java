package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.attention.RopeLayout;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufMetadata;

/**
 * Hyper-parameters of a model, read from GGUF metadata (the single source of truth: nothing here is
 * assumed from the architecture's name beyond what llama.cpp also assumes).
 *
 * @param slidingWindow     keys at distance ≥ this are masked on the architecture's sliding layers; 0 for none
 * @param attentionSoftCap  scores become {@code cap·tanh(s/cap)}; 0 for none
 * @param finalLogitSoftCap logits become {@code cap·tanh(l/cap)}; 0 for none
 */
public record ModelConfig(
        Architecture architecture,
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
        RopeScaling ropeScaling,
        int slidingWindow,
        float attentionSoftCap,
        float finalLogitSoftCap) {

    public int queryDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    public RopeLayout ropeLayout() {
        return architecture.ropeLayout();
    }

    /**
     * Attention span of {@code layer}: the sliding window on the architecture's local layers, else
     * unlimited. A window on every layer (Mistral) bounds memory, not what the model can use, so a
     * position scheme that extends the context ({@link dev.longlm.attention.PositionScheme#replacesSlidingWindow})
     * replaces it; alternating local layers (Gemma 2) were trained local and stay local.
     */
    public int attentionSpan(int layer, boolean schemeReplacesWindow) {
        boolean windowed = slidingWindow > 0 && architecture.isSlidingLayer(layer)
                && !(schemeReplacesWindow && architecture.slidingWindow() == Architecture.SlidingWindowLayers.EVERY_LAYER);
        return windowed ? slidingWindow : Integer.MAX_VALUE;
    }

    public static ModelConfig fromGguf(GgufFile file) {
        GgufMetadata md = file.metadata();
        String archName = md.getString("general.architecture");
        Architecture arch = Architecture.forName(archName, file.path());
        String p = archName + ".";
        int dim = md.getInt(p + "embedding_length");
        int layers = md.getInt(p + "block_count");
        int heads = md.getInt(p + "attention.head_count");
        int kvHeads = md.getInt(p + "attention.head_count_kv", heads);
        int headDim = md.getInt(p + "attention.key_length", dim / heads);
        int valueDim = md.getInt(p + "attention.value_length", headDim);
        int ffn = md.getInt(p + "feed_forward_length");
        int vocab = md.getStrings("tokenizer.ggml.tokens").map(t -> t.length)
                .orElseGet(() -> Math.toIntExact(file.tensor("token_embd.weight").rows()));
        int ctx = md.getInt(p + "context_length");
        String epsKey = arch.norm() == Architecture.Norm.RMS ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon";
        float eps = md.getFloat(p + epsKey, 1e-5f);
        double base = md.getFloat(p + "rope.freq_base", 10000f);
        int ropeDims = md.getInt(p + "rope.dimension_count", headDim);
        if (heads % kvHeads != 0) {
            throw new InputException(file.path() + ": " + heads + " attention heads are not a multiple of " + kvHeads + " KV heads");
        }
        if (valueDim != headDim || ropeDims > headDim || ropeDims % 2 != 0) {
            throw new InputException(file.path() + ": head sizes key " + headDim + ", value " + valueDim + ", rotary "
                    + ropeDims + " are not supported (need equal key/value sizes and an even rotary size ≤ the key size)");
        }
        int window = arch.slidingWindow() == Architecture.SlidingWindowLayers.NONE ? 0
                : md.getInt(p + "attention.sliding_window", arch.defaultSlidingWindow());
        // llama.cpp's defaults when a Gemma 2 file omits the caps.
        float attentionCap = arch.softCapping() ? md.getFloat(p + "attn_logit_softcapping", 50f) : 0f;
        float finalCap = arch.softCapping() ? md.getFloat(p + "final_logit_softcapping", 30f) : 0f;
        return new ModelConfig(arch, md.getString("general.name", file.path().getFileName().toString()), dim, layers,
                heads, kvHeads, headDim, ffn, vocab, ctx, eps, base, ropeDims,
                RopeScaling.fromMetadata(md, p, ctx, file.path()), window, attentionCap, finalCap);
    }
}
