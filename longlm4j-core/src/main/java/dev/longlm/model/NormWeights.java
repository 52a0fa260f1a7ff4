package dev.longlm.model;

/** A norm's scale and (LayerNorm only, optional) bias. */
public record NormWeights(float[] weight, float[] bias) {
}
