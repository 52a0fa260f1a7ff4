package dev.longlm.model;

import dev.longlm.gguf.GgmlType;
import dev.longlm.tensor.HalfFloat;
import dev.longlm.tensor.WeightMatrix;

/**
 * llama.cpp's CPU backend does not multiply quantized weights by F32 activations: it first rounds
 * each activation row to the weight type's "vec_dot" type — 8-bit blocks of 32 with an f16 scale
 * (Q8_0) for Q8_0 weights, 8-bit blocks of 256 with an f32 scale (Q8_K) for K-quants, f16 for F16.
 * Our engine keeps activations in F32. This test-only wrapper applies that rounding (written from
 * the block formats) so a golden comparison can separate "same model, same equations" from "8-bit
 * activation error".
 */
final class LlamaCppActivationRounding {
    private LlamaCppActivationRounding() {
    }

    static ModelWeights apply(ModelWeights w) {
        return new ModelWeights(w.tokenEmbedding(), w.layers().stream().map(LlamaCppActivationRounding::layer).toList(),
                w.outputNorm(), linear(w.output()), w.ropeFrequencyFactors(), w.ropeFactorsLong(), w.ropeFactorsShort());
    }

    private static LayerWeights layer(LayerWeights l) {
        return new LayerWeights(l.attentionNorm(), linear(l.query()), linear(l.key()), linear(l.value()), l.queryNorm(),
                l.keyNorm(), linear(l.attentionOutput()), l.attentionPostNorm(), l.ffnNorm(), linear(l.ffnGate()),
                linear(l.ffnUp()), linear(l.ffnDown()), l.ffnPostNorm());
    }

    private static Linear linear(Linear l) {
        return l == null ? null : new Linear(new Rounded(l.weight()), l.bias());
    }

    /** A matrix whose input rows are rounded as ggml rounds them for the weight's type. */
    private record Rounded(WeightMatrix inner, ThreadLocal<float[]> buffer) implements WeightMatrix {
        Rounded(WeightMatrix inner) {
            this(inner, ThreadLocal.withInitial(() -> new float[inner.cols()]));
        }

        public GgmlType type() {
            return inner.type();
        }

        public int rows() {
            return inner.rows();
        }

        public int cols() {
            return inner.cols();
        }

        public void dequantizeRow(int row, float[] out, int outOffset) {
            inner.dequantizeRow(row, out, outOffset);
        }

        public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
            float[] rounded = buffer.get();
            System.arraycopy(x, xOffset, rounded, 0, rounded.length);
            switch (inner.type()) {
                case F32 -> { }
                case F16 -> {
                    for (int i = 0; i < rounded.length; i++) {
                        rounded[i] = HalfFloat.f16ToF32(HalfFloat.f32ToF16(rounded[i]));
                    }
                }
                case Q8_0, Q4_0, Q5_0 -> q8_0(rounded);
                case Q4_K, Q5_K, Q6_K -> q8_K(rounded);
                default -> throw new IllegalStateException("no activation rounding known for " + inner.type());
            }
            inner.matvec(rounded, 0, out, outOffset, rowStart, rowEnd);
        }

        /** Q8_0: per 32 values, d = amax/127 stored as f16, q = round-half-even(x·127/amax). */
        private static void q8_0(float[] x) {
            for (int b = 0; b < x.length; b += 32) {
                float amax = 0;
                for (int j = 0; j < 32; j++) {
                    amax = Math.max(amax, Math.abs(x[b + j]));
                }
                float d = HalfFloat.f16ToF32(HalfFloat.f32ToF16(amax / 127f));
                float id = amax != 0 ? 127f / amax : 0f;
                for (int j = 0; j < 32; j++) {
                    x[b + j] = (float) Math.rint(x[b + j] * id) * d;
                }
            }
        }

        /** Q8_K: per 256 values, scale from the signed value of largest magnitude, q = min(127, round(x·(-127/max))), d in f32. */
        private static void q8_K(float[] x) {
            for (int b = 0; b < x.length; b += 256) {
                float amax = 0;
                float max = 0;
                for (int j = 0; j < 256; j++) {
                    float ax = Math.abs(x[b + j]);
                    if (ax > amax) {
                        amax = ax;
                        max = x[b + j];
                    }
                }
                if (amax == 0) {
                    continue;
                }
                float iscale = -127f / max;
                float d = 1 / iscale;
                for (int j = 0; j < 256; j++) {
                    x[b + j] = Math.min(127f, (float) Math.rint(iscale * x[b + j])) * d;
                }
            }
        }
    }
}
