package dev.longlm.model;

import dev.longlm.attention.Rope;

/**
 * Builds a model's {@link Rope}: the standard inverse frequencies {@code base^(-2i/d)}, each
 * multiplied by the linear position scale and divided by its frequency factor (Llama 3's
 * {@code rope_freqs}, or LongRoPE's long/short factors) — the same angle ggml's rope computes
 * from {@code freq_scale} and {@code freq_factors}.
 */
final class RopeFrequencies {
    private RopeFrequencies() {
    }

    static Rope rope(ModelConfig config, ModelWeights weights, int contextLength) {
        RopeScaling scaling = config.ropeScaling();
        double[] inverse = Rope.standardInverseFrequencies(config.ropeDims(), config.ropeBase());
        float[] factors = factors(weights, contextLength > scaling.originalContext());
        for (int i = 0; i < inverse.length; i++) {
            inverse[i] *= scaling.positionScale();
            if (factors != null) {
                inverse[i] /= factors[i];
            }
        }
        return new Rope(config.headDim(), config.ropeDims(), config.ropeLayout(), inverse, scaling.attentionFactor());
    }

    private static float[] factors(ModelWeights weights, boolean beyondOriginalContext) {
        if (weights.ropeFrequencyFactors() != null) {
            return weights.ropeFrequencyFactors();
        }
        return beyondOriginalContext ? weights.ropeFactorsLong() : weights.ropeFactorsShort();
    }
}
