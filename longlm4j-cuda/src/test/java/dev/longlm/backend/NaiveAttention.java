package dev.longlm.backend;

import dev.longlm.attention.RopeLayout;

/**
 * Attention written from its definition, slow and independent of every kernel: for each (query p,
 * key j) pair the position rule gives the RoPE positions of both (or masks the pair), fresh copies of
 * q and k are rotated in double precision, the whole row of scores is built, optionally soft-capped,
 * and one softmax weights the values.
 */
final class NaiveAttention {
    /** RoPE positions {query, key} of the pair (p, j), or null when the query does not see the key. */
    @FunctionalInterface
    interface PairPositions {
        double[] of(int p, int j);
    }

    private NaiveAttention() {
    }

    /**
     * @param q raw queries, n × heads × headDim; k and v raw, n × kvHeads × headDim
     * @param invFreq inverse frequency of each rotated pair; {@code magnitude} scales cos and sin
     */
    static double[] attend(float[] q, float[] k, float[] v, int n, int heads, int kvHeads, int headDim, int rotaryDims,
                           RopeLayout layout, double[] invFreq, double magnitude, PairPositions rule, double softCap) {
        double[] out = new double[n * heads * headDim];
        double scale = 1 / Math.sqrt(headDim);
        int group = heads / kvHeads;
        for (int p = 0; p < n; p++) {
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                double[] scores = new double[p + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= p; j++) {
                    double[] pos = rule.of(p, j);
                    if (pos == null) {
                        scores[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double[] qr = rotate(q, (p * heads + h) * headDim, headDim, rotaryDims, layout, invFreq, magnitude, pos[0]);
                    double[] kr = rotate(k, (j * kvHeads + kvh) * headDim, headDim, rotaryDims, layout, invFreq, magnitude, pos[1]);
                    double s = 0;
                    for (int d = 0; d < headDim; d++) {
                        s += qr[d] * kr[d];
                    }
                    s *= scale;
                    scores[j] = softCap > 0 ? softCap * Math.tanh(s / softCap) : s;
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j <= p; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j <= p; j++) {
                    for (int d = 0; d < headDim; d++) {
                        out[(p * heads + h) * headDim + d] += scores[j] / sum * v[(j * kvHeads + kvh) * headDim + d];
                    }
                }
            }
        }
        return out;
    }

    /** RoPE from its definition: pair i of the first {@code rotaryDims} components rotates by position · invFreq[i]. */
    static double[] rotate(float[] x, int offset, int headDim, int rotaryDims, RopeLayout layout, double[] invFreq,
                           double magnitude, double position) {
        double[] r = new double[headDim];
        for (int d = 0; d < headDim; d++) {
            r[d] = x[offset + d];
        }
        int half = rotaryDims / 2;
        for (int i = 0; i < half; i++) {
            int a = layout == RopeLayout.ADJACENT_PAIRS ? 2 * i : i;
            int b = layout == RopeLayout.ADJACENT_PAIRS ? 2 * i + 1 : i + half;
            double angle = position * invFreq[i];
            double c = Math.cos(angle) * magnitude;
            double s = Math.sin(angle) * magnitude;
            r[a] = x[offset + a] * c - x[offset + b] * s;
            r[b] = x[offset + a] * s + x[offset + b] * c;
        }
        return r;
    }
}
