package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.attention.RopeLayout;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An architecture as the list of its differences from the llama forward pass. Everything else is
 * found in the file: optional tensors (Q/K/V and output biases, per-head Q/K norms, post-norms,
 * fused QKV or gate/up projections, RoPE frequency factors) by name, as llama.cpp does, and sizes,
 * windows and caps in the metadata.
 *
 * @param ggufName          the {@code general.architecture} value
 * @param norm              RMSNorm, or LayerNorm (mean-centred, with bias)
 * @param feedForward       gated SiLU, gated GELU, or a plain GELU MLP
 * @param parallelResidual  attention and feed-forward both read the same normed input and are added
 *                          to the residual together (GPT-J/Phi-2 style); no separate FFN norm
 * @param embeddingScale    multiply token embeddings by {@code sqrt(dim)} (Gemma)
 * @param ropeLayout        which head components RoPE rotates together
 * @param slidingWindow     which layers attend only within {@code attention.sliding_window}
 * @param defaultSlidingWindow window when the metadata has none (0: no window without metadata)
 * @param softCapping       read attention/final-logit soft-caps, with llama.cpp's defaults (Gemma 2)
 */
public record Architecture(
        String ggufName,
        Norm norm,
        FeedForward feedForward,
        boolean parallelResidual,
        boolean embeddingScale,
        RopeLayout ropeLayout,
        SlidingWindowLayers slidingWindow,
        int defaultSlidingWindow,
        boolean softCapping) {

    public enum Norm { RMS, LAYER }

    public enum FeedForward {
        /** {@code down(silu(gate·x) ⊙ up·x)} */
        SWIGLU,
        /** {@code down(gelu(gate·x) ⊙ up·x)} */
        GEGLU,
        /** {@code down(gelu(up·x + b) ) + b}: no gate */
        GELU_MLP
    }

    public enum SlidingWindowLayers {
        NONE,
        /** Every layer (Mistral); Self-Extend, when enabled, replaces this window. */
        EVERY_LAYER,
        /** Even layers are local, odd layers global (Gemma 2: layer 0 is local). */
        EVEN_LAYERS
    }

    /** The baseline: Llama 1/2/3, Mistral. RoPE on adjacent pairs (llama GGUFs store Q/K permuted for it). */
    public static final Architecture LLAMA = new Architecture("llama", Norm.RMS, FeedForward.SWIGLU, false, false,
            RopeLayout.ADJACENT_PAIRS, SlidingWindowLayers.EVERY_LAYER, 0, false);
    /** Qwen 2/2.5: QKV biases (found by name), rotate-half RoPE. */
    public static final Architecture QWEN2 = LLAMA.named("qwen2").withRope(RopeLayout.NEOX).withoutSlidingWindow();
    /** Qwen 3: per-head Q/K RMSNorm (found by name), rotate-half RoPE. */
    public static final Architecture QWEN3 = QWEN2.named("qwen3");
    /** Phi-2: LayerNorm with bias, attention and GELU MLP in parallel, partial rotate-half RoPE. */
    public static final Architecture PHI2 = LLAMA.named("phi2").withNorm(Norm.LAYER).withFeedForward(FeedForward.GELU_MLP)
            .withParallelResidual().withRope(RopeLayout.NEOX).withoutSlidingWindow();
    /**
     * Phi-3: fused QKV and gate/up (found by shape), rotate-half RoPE, LongRoPE factors (found by
     * name). llama.cpp disables Phi-3's sliding window, so it is ignored here too.
     */
    public static final Architecture PHI3 = QWEN2.named("phi3");
    /** Gemma: embeddings scaled by √dim, GeGLU, rotate-half RoPE; norm weights are stored with the +1 already added. */
    public static final Architecture GEMMA = QWEN2.named("gemma").withFeedForward(FeedForward.GEGLU).withEmbeddingScale();
    /** Gemma 2: Gemma plus post-norms (found by name), soft-capping, local (sliding) attention on even layers. */
    public static final Architecture GEMMA2 = GEMMA.named("gemma2").withSoftCapping()
            .withSlidingWindow(SlidingWindowLayers.EVEN_LAYERS, 4096);

    public static final List<Architecture> SUPPORTED = List.of(LLAMA, QWEN2, QWEN3, PHI2, PHI3, GEMMA, GEMMA2);

    public static Architecture forName(String name, Path file) {
        for (Architecture a : SUPPORTED) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        throw new InputException(file + ": unsupported architecture '" + name + "'; supported: "
                + SUPPORTED.stream().map(Architecture::ggufName).collect(Collectors.joining(", ")));
    }

    /** The GGUF name, so that configs and logs print "llama", not the whole description. */
    @Override
    public String toString() {
        return ggufName;
    }

    /** Whether {@code layer} uses the sliding window, given the model has one. */
    public boolean isSlidingLayer(int layer) {
        return switch (slidingWindow) {
            case NONE -> false;
            case EVERY_LAYER -> true;
            case EVEN_LAYERS -> layer % 2 == 0;
        };
    }

    Architecture named(String name) {
        return new Architecture(name, norm, feedForward, parallelResidual, embeddingScale, ropeLayout, slidingWindow,
                defaultSlidingWindow, softCapping);
    }

    Architecture withNorm(Norm n) {
        return new Architecture(ggufName, n, feedForward, parallelResidual, embeddingScale, ropeLayout, slidingWindow,
                defaultSlidingWindow, softCapping);
    }

    Architecture withFeedForward(FeedForward f) {
        return new Architecture(ggufName, norm, f, parallelResidual, embeddingScale, ropeLayout, slidingWindow,
                defaultSlidingWindow, softCapping);
    }

    Architecture withParallelResidual() {
        return new Architecture(ggufName, norm, feedForward, true, embeddingScale, ropeLayout, slidingWindow,
                defaultSlidingWindow, softCapping);
    }

    Architecture withEmbeddingScale() {
        return new Architecture(ggufName, norm, feedForward, parallelResidual, true, ropeLayout, slidingWindow,
                defaultSlidingWindow, softCapping);
    }

    Architecture withRope(RopeLayout layout) {
        return new Architecture(ggufName, norm, feedForward, parallelResidual, embeddingScale, layout, slidingWindow,
                defaultSlidingWindow, softCapping);
    }

    Architecture withSlidingWindow(SlidingWindowLayers layers, int defaultWindow) {
        return new Architecture(ggufName, norm, feedForward, parallelResidual, embeddingScale, ropeLayout, layers,
                defaultWindow, softCapping);
    }

    Architecture withoutSlidingWindow() {
        return withSlidingWindow(SlidingWindowLayers.NONE, 0);
    }

    Architecture withSoftCapping() {
        return new Architecture(ggufName, norm, feedForward, parallelResidual, embeddingScale, ropeLayout, slidingWindow,
                defaultSlidingWindow, true);
    }
}
