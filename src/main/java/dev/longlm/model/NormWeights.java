package dev.longlm.model;

import dev.longlm.backend.cpu.FloatArrays;

/** A norm's scale and (LayerNorm only, optional) bias. */
public record NormWeights(float[] weight, float[] bias) {

    /** Normalises {@code n} rows of {@code width} values of {@code x} into {@code out}. */
    void apply(Architecture.Norm kind, float eps, float[] x, float[] out, int n, int width) {
        for (int i = 0; i < n; i++) {
            int o = i * width;
            if (kind == Architecture.Norm.RMS) {
                FloatArrays.rmsNorm(x, o, weight, eps, out, o, width);
            } else {
                FloatArrays.layerNorm(x, o, weight, bias, eps, out, o, width);
            }
        }
    }
}
