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

    /** Largest trained context accepted from a file (16 Mi positions: above every published model). */
    static final int MAX_CONTEXT = 1 << 24;
    /** Largest width of any one dimension (embedding, feed-forward, heads × head size): keeps batch buffers indexable. */
    static final int MAX_WIDTH = 1 << 24;

    public static ModelConfig fromGguf(GgufFile file) {
        GgufMetadata md = file.metadata();
        String archName = md.getString("general.architecture");
        Architecture arch = Architecture.forName(archName, file.path());
        String p = archName + ".";
        HyperParameterReader hp = new HyperParameterReader(md, file.path());
        int dim = hp.integer(p + "embedding_length", 1, MAX_WIDTH);
        // Each block has tensors of its own, so a count above the tensors is corrupt (and would pre-size lists).
        int layers = hp.integer(p + "block_count", 1, Math.max(1, file.tensors().size()));
        int heads = hp.integer(p + "attention.head_count", 1, dim);
        int kvHeads = hp.integer(p + "attention.head_count_kv", heads, 1, heads);
        if (heads % kvHeads != 0) {
            throw hp.error(p + "attention.head_count_kv", String.valueOf(kvHeads), "does not divide the " + heads
                    + " attention heads (" + p + "attention.head_count)");
        }
        int headDim = hp.integer(p + "attention.key_length", dim / heads, 1, MAX_WIDTH / heads);
        int valueDim = hp.integer(p + "attention.value_length", headDim, 1, MAX_WIDTH / heads);
        int ffn = hp.integer(p + "feed_forward_length", 1, MAX_WIDTH);
        int vocab = md.getStrings("tokenizer.ggml.tokens").map(t -> t.length)
                .orElseGet(() -> Math.toIntExact(file.tensor("token_embd.weight").rows()));
        if (vocab < 1) {
            throw hp.error("tokenizer.ggml.tokens", "[]", "must list at least one token");
        }
        int ctx = hp.integer(p + "context_length", 4, MAX_CONTEXT);
        String epsKey = arch.norm() == Architecture.Norm.RMS ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon";
        float eps = hp.positive(p + epsKey, 1e-5f, 1f);
        double base = hp.positive(p + "rope.freq_base", 10000f, Float.POSITIVE_INFINITY);
        int ropeDims = hp.integer(p + "rope.dimension_count", headDim, 0, headDim);
        if (valueDim != headDim || ropeDims % 2 != 0) {
            throw new InputException(file.path() + ": head sizes key " + headDim + " (" + p + "attention.key_length), value " + valueDim
                    + " (" + p + "attention.value_length), rotary " + ropeDims + " (" + p + "rope.dimension_count)"
                    + " are not supported (need equal key/value sizes and an even rotary size ≤ the key size)");
        }
        int window = arch.slidingWindow() == Architecture.SlidingWindowLayers.NONE ? 0
                : hp.integer(p + "attention.sliding_window", arch.defaultSlidingWindow(), 0, Integer.MAX_VALUE);
        // llama.cpp's defaults when a Gemma 2 file omits the caps.
        float attentionCap = arch.softCapping() ? hp.positive(p + "attn_logit_softcapping", 50f, Float.POSITIVE_INFINITY) : 0f;
        float finalCap = arch.softCapping() ? hp.positive(p + "final_logit_softcapping", 30f, Float.POSITIVE_INFINITY) : 0f;
        return new ModelConfig(arch, md.getString("general.name", file.path().getFileName().toString()), dim, layers,
                heads, kvHeads, headDim, ffn, vocab, ctx, eps, base, ropeDims,
                RopeScaling.fromMetadata(hp, md, p, ctx, file.path()), window, attentionCap, finalCap);
    }
}
