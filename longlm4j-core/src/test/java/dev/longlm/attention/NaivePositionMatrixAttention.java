package dev.longlm.attention;

/**
 * Causal attention from explicit position matrices, written from the definition and independent of
 * the engine: for every (query p, key j ≤ p) pair, fresh copies of q and k are rotated to
 * {@code queryPosition[p][j]} and {@code keyPosition[p][j]} (RoPE from its formula, in double), the full
 * row of scores gets one softmax, and the values are summed, in double precision. The tests build the
 * matrices of each method from its paper's or authors' formulas.
 */
final class NaivePositionMatrixAttention {
    private NaivePositionMatrixAttention() {
    }

    /** The RoPE positions the method gives a (query, key) pair. */
    interface Positions {
        /** {query position, key position} of the pair (p, j), j ≤ p. */
        double[] of(int p, int j);
    }

    /** The n × n matrices {query positions, key positions} of {@code positions} (zero above the diagonal). */
    static double[][][] matrices(int n, Positions positions) {
        double[][] query = new double[n][n];
        double[][] key = new double[n][n];
        for (int p = 0; p < n; p++) {
            for (int j = 0; j <= p; j++) {
                double[] pair = positions.of(p, j);
                query[p][j] = pair[0];
                key[p][j] = pair[1];
            }
        }
        return new double[][][]{query, key};
    }

    /**
     * @param q raw queries, n × heads × headDim; k and v raw, n × kvHeads × headDim
     * @return attention output, n × heads × headDim
     */
    static double[] attend(float[] q, float[] k, float[] v, int n, int heads, int kvHeads, int headDim, int rotaryDims,
                           RopeLayout layout, double base, double[][] queryPosition, double[][] keyPosition) {
        double[] out = new double[n * heads * headDim];
        int group = heads / kvHeads;
        double scale = 1.0 / Math.sqrt(headDim);
        for (int p = 0; p < n; p++) {
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                double[] scores = new double[p + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= p; j++) {
                    double[] qr = NaiveSelfExtendAttention.rotate(q, (p * heads + h) * headDim, headDim, rotaryDims, layout, base,
                            queryPosition[p][j]);
                    double[] kr = NaiveSelfExtendAttention.rotate(k, (j * kvHeads + kvh) * headDim, headDim, rotaryDims, layout, base,
                            keyPosition[p][j]);
                    double s = 0;
                    for (int d = 0; d < headDim; d++) {
                        s += qr[d] * kr[d];
                    }
                    scores[j] = s * scale;
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
}
