package dev.longlm.model;

/**
 * The tensors of one transformer block. Optional parts are null when the file has none: biases
 * (inside {@link Linear}), per-head Q/K RMSNorms (Qwen 3), post-norms (Gemma 2), the FFN norm (a
 * parallel residual has none) and the gate (a GELU MLP has none). Fused QKV and gate/up tensors
 * are split into row views at load time, so the forward pass sees one shape.
 */
public record LayerWeights(
        NormWeights attentionNorm,
        Linear query, Linear key, Linear value,
        float[] queryNorm, float[] keyNorm,
        Linear attentionOutput,
        NormWeights attentionPostNorm,
        NormWeights ffnNorm,
        Linear ffnGate, Linear ffnUp, Linear ffnDown,
        NormWeights ffnPostNorm) {
}
