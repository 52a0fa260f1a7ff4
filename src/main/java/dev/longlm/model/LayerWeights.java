package dev.longlm.model;

import dev.longlm.tensor.WeightMatrix;

/** The tensors of one transformer block; biases are null when the file has none. */
public record LayerWeights(
        float[] attentionNorm,
        WeightMatrix query, WeightMatrix key, WeightMatrix value, WeightMatrix attentionOutput,
        float[] queryBias, float[] keyBias, float[] valueBias,
        float[] ffnNorm,
        WeightMatrix ffnGate, WeightMatrix ffnUp, WeightMatrix ffnDown) {
}
