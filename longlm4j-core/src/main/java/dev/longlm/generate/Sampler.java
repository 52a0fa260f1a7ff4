package dev.longlm.generate;

import dev.longlm.backend.cpu.FloatArrays;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits under {@link SamplingParameters}. Deterministic for a given seed: the
 * same seed, prompt and settings give the same tokens. Filters run in llama.cpp's order (repetition
 * penalty, top-k, top-p, min-p, temperature); candidates are ranked with primitive arrays allocated
 * once, so a step allocates nothing.
 */
public final class Sampler {
    private final SamplingParameters params;
    private final SplittableRandom random;
    private final int vocabSize;
    private final float[] scratch;
    /** Candidates as (sortable logit key << 32 | token id), so a primitive sort ranks them. */
    private final long[] ranked;
    private final double[] weights;
    private final int[] recent;
    private final int[] penalisedAt;
    private int recentCount;
    private int step;

    public Sampler(SamplingParameters params, int vocabSize) {
        this.params = params;
        this.vocabSize = vocabSize;
        this.random = new SplittableRandom(params.seed());
        this.scratch = new float[vocabSize];
        this.ranked = new long[vocabSize];
        this.weights = new double[vocabSize];
        this.recent = new int[Math.max(1, params.repeatLastN())];
        this.penalisedAt = new int[vocabSize];
    }

    /** Remembers a token of the context (prompt or generated) for the repetition penalty. */
    public void accept(int token) {
        recent[recentCount % recent.length] = token;
        recentCount++;
    }

    public int sample(float[] logits, int offset) {
        System.arraycopy(logits, offset, scratch, 0, vocabSize);
        applyRepeatPenalty(scratch);
        return pick(scratch);
    }

    /** Samples from already-adjusted logits (callers that mask tokens first, e.g. constrained decoding). */
    public int pick(float[] adjusted) {
        if (params.greedy()) {
            return FloatArrays.argmax(adjusted, 0, vocabSize);
        }
        int keep = rank(adjusted);
        // ranked[0] is the most likely candidate; probabilities relative to it, before temperature.
        float max = logitOf(ranked[0]);
        if (params.topP() < 1f || params.minP() > 0f) {
            double sum = 0;
            for (int i = 0; i < keep; i++) {
                weights[i] = Math.exp(logitOf(ranked[i]) - max);
                sum += weights[i];
            }
            if (params.topP() < 1f) {
                double cumulative = 0;
                for (int i = 0; i < keep; i++) {
                    cumulative += weights[i] / sum;
                    if (cumulative >= params.topP()) {
                        keep = i + 1;
                        break;
                    }
                }
            }
            if (params.minP() > 0f) {
                int k = 1;
                while (k < keep && weights[k] >= params.minP() * weights[0]) {
                    k++;
                }
                keep = k;
            }
        }
        double total = 0;
        for (int i = 0; i < keep; i++) {
            weights[i] = Math.exp((logitOf(ranked[i]) - max) / params.temperature());
            total += weights[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= weights[i];
            if (r <= 0) {
                return tokenOf(ranked[i]);
            }
        }
        return tokenOf(ranked[keep - 1]);
    }

    /** Fills {@link #ranked} with the top-k candidates (all tokens when k = 0), most likely first. */
    private int rank(float[] logits) {
        int k = params.topK() > 0 ? Math.min(params.topK(), vocabSize) : vocabSize;
        int n;
        if (k < vocabSize) {
            // A min-heap of the k best keeps selection at O(V log k).
            n = 0;
            for (int t = 0; t < vocabSize; t++) {
                long packed = pack(logits[t], t);
                if (n < k) {
                    ranked[n] = packed;
                    siftUp(n++);
                } else if (packed > ranked[0]) {
                    ranked[0] = packed;
                    siftDown(k);
                }
            }
        } else {
            n = vocabSize;
            for (int t = 0; t < vocabSize; t++) {
                ranked[t] = pack(logits[t], t);
            }
        }
        Arrays.sort(ranked, 0, n);
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            long tmp = ranked[i];
            ranked[i] = ranked[j];
            ranked[j] = tmp;
        }
        return n;
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (ranked[parent] <= ranked[i]) {
                return;
            }
            long tmp = ranked[parent];
            ranked[parent] = ranked[i];
            ranked[i] = tmp;
            i = parent;
        }
    }

    private void siftDown(int size) {
        int i = 0;
        while (true) {
            int smallest = i;
            int l = 2 * i + 1;
            int r = l + 1;
            if (l < size && ranked[l] < ranked[smallest]) {
                smallest = l;
            }
            if (r < size && ranked[r] < ranked[smallest]) {
                smallest = r;
            }
            if (smallest == i) {
                return;
            }
            long tmp = ranked[smallest];
            ranked[smallest] = ranked[i];
            ranked[i] = tmp;
            i = smallest;
        }
    }

    /** Orders by logit (ties: lower token id ranks higher), as a signed long comparison. */
    private static long pack(float logit, int token) {
        int bits = Float.floatToIntBits(logit);
        int key = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) key << 32) | (0xffffffffL & ~token);
    }

    private static int tokenOf(long packed) {
        return ~(int) packed;
    }

    private static float logitOf(long packed) {
        int key = (int) (packed >> 32);
        int bits = key ^ ((key >> 31) & 0x7fffffff);
        return Float.intBitsToFloat(bits);
    }

    private void applyRepeatPenalty(float[] logits) {
        float penalty = params.repeatPenalty();
        if (penalty == 1f || params.repeatLastN() == 0) {
            return;
        }
        step++;
        int count = Math.min(recentCount, recent.length);
        for (int i = 0; i < count; i++) {
            int t = recent[i];
            if (penalisedAt[t] != step) {
                penalisedAt[t] = step;
                logits[t] = logits[t] > 0 ? logits[t] / penalty : logits[t] * penalty;
            }
        }
    }
}
