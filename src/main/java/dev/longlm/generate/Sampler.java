package dev.longlm.generate;

import dev.longlm.tensor.FloatArrays;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits under {@link SamplingParameters}. Deterministic for a given seed: the
 * same seed, prompt and settings give the same tokens. Buffers are allocated once per vocabulary.
 */
public final class Sampler {
    private final SamplingParameters params;
    private final SplittableRandom random;
    private final int vocabSize;
    private final float[] scratch;
    private final Integer[] order;
    private final int[] recent;
    private int recentCount;

    public Sampler(SamplingParameters params, int vocabSize) {
        this.params = params;
        this.vocabSize = vocabSize;
        this.random = new SplittableRandom(params.seed());
        this.scratch = new float[vocabSize];
        this.order = new Integer[vocabSize];
        this.recent = new int[Math.max(1, params.repeatLastN())];
    }

    /** Remembers a token of the context (prompt or generated) for the repetition penalty. */
    public void accept(int token) {
        recent[recentCount % recent.length] = token;
        recentCount++;
    }

    public int sample(float[] logits, int offset) {
        System.arraycopy(logits, offset, scratch, 0, vocabSize);
        applyRepeatPenalty(scratch);
        if (params.greedy()) {
            return FloatArrays.argmax(scratch, 0, vocabSize);
        }
        // Sort candidates by logit; filters then keep a prefix of this order.
        int n = vocabSize;
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(scratch[b], scratch[a]));
        int keep = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        float max = scratch[order[0]];
        double[] probs = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(scratch[order[i]] - max);
            sum += probs[i];
        }
        if (params.topP() < 1f) {
            double cumulative = 0;
            for (int i = 0; i < keep; i++) {
                cumulative += probs[i] / sum;
                if (cumulative >= params.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        if (params.minP() > 0f) {
            // probs[0] is the most likely token's (unnormalised) probability.
            double threshold = params.minP() * probs[0];
            int k = 1;
            while (k < keep && probs[k] >= threshold) {
                k++;
            }
            keep = k;
        }
        double total = 0;
        double[] weights = new double[keep];
        for (int i = 0; i < keep; i++) {
            weights[i] = Math.exp((scratch[order[i]] - max) / params.temperature());
            total += weights[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= weights[i];
            if (r <= 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    private void applyRepeatPenalty(float[] logits) {
        float penalty = params.repeatPenalty();
        if (penalty == 1f || params.repeatLastN() == 0) {
            return;
        }
        int count = Math.min(recentCount, recent.length);
        boolean[] seen = new boolean[vocabSize];
        for (int i = 0; i < count; i++) {
            int t = recent[i];
            if (!seen[t]) {
                seen[t] = true;
                logits[t] = logits[t] > 0 ? logits[t] / penalty : logits[t] * penalty;
            }
        }
    }
}
