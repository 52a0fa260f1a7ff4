package dev.longlm.attention;

/**
 * The textbook definition, kept deliberately slow and independent of the fused kernel: for every
 * (query p, key j) pair it rotates fresh copies of q and k to the positions the method prescribes,
 * builds the full row of scores, takes one softmax and sums the values — in double precision
 * ({@link NaivePositionMatrixAttention}).
 */
final class NaiveSelfExtendAttention {
    private NaiveSelfExtendAttention() {
    }

    /** Positions of a (query, key) pair: true within the window, grouped beyond it. */
    static int[] positions(int p, int j, int groupSize, int window) {
        if (groupSize == 1 || p - j < window) {
            return new int[]{p, j};
        }
        return new int[]{p / groupSize + window - window / groupSize, j / groupSize};
    }

    /**
     * @param q raw queries, n × heads × headDim; k and v raw, n × kvHeads × headDim
     * @return attention output, n × heads × headDim
     */
    static double[] attend(float[] q, float[] k, float[] v, int n, int heads, int kvHeads, int headDim,
                           int rotaryDims, RopeLayout layout, double base, int groupSize, int window) {
        double[][][] m = NaivePositionMatrixAttention.matrices(n, (p, j) -> {
            int[] pos = positions(p, j, groupSize, window);
            return new double[]{pos[0], pos[1]};
        });
        return NaivePositionMatrixAttention.attend(q, k, v, n, heads, kvHeads, headDim, rotaryDims, layout, base, m[0], m[1]);
    }

    /**
     * StreamingLLM as its authors describe it: the cache keeps the first {@code sinks} keys and the
     * {@code recent} newest ones (the query's own included); positions are slots inside that cache.
     */
    static double[] attendStreaming(float[] q, float[] k, float[] v, int n, int heads, int kvHeads, int headDim,
                                    RopeLayout layout, double base, int sinks, int recent) {
        double[] out = new double[n * heads * headDim];
        int group = heads / kvHeads;
        double scale = 1.0 / Math.sqrt(headDim);
        for (int p = 0; p < n; p++) {
            java.util.List<Integer> kept = new java.util.ArrayList<>();
            for (int j = 0; j <= p; j++) {
                if (j < sinks || j > p - recent) {
                    kept.add(j);
                }
            }
            int querySlot = kept.size() - 1;
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                double[] qr = rotate(q, (p * heads + h) * headDim, headDim, headDim, layout, base, querySlot);
                double[] scores = new double[kept.size()];
                double max = Double.NEGATIVE_INFINITY;
                for (int slot = 0; slot < kept.size(); slot++) {
                    double[] kr = rotate(k, (kept.get(slot) * kvHeads + kvh) * headDim, headDim, headDim, layout, base, slot);
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += qr[d] * kr[d];
                    }
                    scores[slot] = dot * scale;
                    max = Math.max(max, scores[slot]);
                }
                double sum = 0;
                for (int slot = 0; slot < kept.size(); slot++) {
                    scores[slot] = Math.exp(scores[slot] - max);
                    sum += scores[slot];
                }
                for (int slot = 0; slot < kept.size(); slot++) {
                    int j = kept.get(slot);
                    for (int d = 0; d < headDim; d++) {
                        out[(p * heads + h) * headDim + d] += scores[slot] / sum * v[(j * kvHeads + kvh) * headDim + d];
                    }
                }
            }
        }
        return out;
    }

    /** RoPE written from its definition: pair i rotates by angle pos · base^(-2i/rotaryDims). */
    static double[] rotate(float[] x, int offset, int headDim, int rotaryDims, RopeLayout layout, double base, double pos) {
        double[] r = new double[headDim];
        for (int d = 0; d < headDim; d++) {
            r[d] = x[offset + d];
        }
        int half = rotaryDims / 2;
        for (int i = 0; i < half; i++) {
            double theta = pos * Math.pow(base, -2.0 * i / rotaryDims);
            int a = layout == RopeLayout.NEOX ? i : 2 * i;
            int b = layout == RopeLayout.NEOX ? i + half : 2 * i + 1;
            double x0 = x[offset + a];
            double x1 = x[offset + b];
            r[a] = x0 * Math.cos(theta) - x1 * Math.sin(theta);
            r[b] = x0 * Math.sin(theta) + x1 * Math.cos(theta);
        }
        return r;
    }
}
