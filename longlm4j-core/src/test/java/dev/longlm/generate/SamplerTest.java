package dev.longlm.generate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sampling filters against distributions worked out by hand. */
class SamplerTest {
    /** Logits ln(0.5), ln(0.25), ln(0.15), ln(0.1): a distribution whose filters are easy to compute. */
    private static final float[] LOGITS = {(float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.15), (float) Math.log(0.1)};

    private static double[] frequencies(SamplingParameters p, int draws) {
        Sampler s = new Sampler(p, LOGITS.length);
        double[] counts = new double[LOGITS.length];
        for (int i = 0; i < draws; i++) {
            counts[s.sample(LOGITS, 0)] += 1.0 / draws;
        }
        return counts;
    }

    @Test
    void greedyTakesTheArgmaxAndRepetitionPenaltyCanMoveIt() {
        assertEquals(0, new Sampler(SamplingParameters.GREEDY, 4).sample(LOGITS, 0));
        Sampler penalised = new Sampler(new SamplingParameters(0f, 0, 1f, 0f, 4f, 64, 1), 4);
        penalised.accept(0);
        // ln 0.5 · 4 = -2.77 < ln 0.25 = -1.39: token 1 wins once token 0 is penalised
        assertEquals(1, penalised.sample(LOGITS, 0));
    }

    @Test
    void temperatureOneDrawsFromTheSoftmax() {
        double[] f = frequencies(new SamplingParameters(1f, 0, 1f, 0f, 1f, 64, 7), 40000);
        assertEquals(0.5, f[0], 0.01);
        assertEquals(0.25, f[1], 0.01);
        assertEquals(0.15, f[2], 0.01);
        assertEquals(0.10, f[3], 0.01);
    }

    @Test
    void topKTopPAndMinPKeepTheRightCandidates() {
        double[] topK = frequencies(new SamplingParameters(1f, 2, 1f, 0f, 1f, 64, 7), 30000);
        assertEquals(2 / 3.0, topK[0], 0.015); // 0.5 / (0.5 + 0.25)
        assertEquals(0, topK[2] + topK[3]);
        double[] topP = frequencies(new SamplingParameters(1f, 0, 0.8f, 0f, 1f, 64, 7), 30000);
        assertEquals(0.5 / 0.9, topP[0], 0.015); // 0.5 + 0.25 < 0.8 ≤ 0.9: three tokens kept
        assertEquals(0, topP[3]);
        double[] minP = frequencies(new SamplingParameters(1f, 0, 1f, 0.3f, 1f, 64, 7), 30000);
        assertEquals(0, minP[2] + minP[3]); // 0.15 < 0.3 · 0.5
        assertEquals(2 / 3.0, minP[0], 0.015);
    }

    @Test
    void sameSeedSameTokens() {
        SamplingParameters p = new SamplingParameters(0.9f, 40, 0.95f, 0.05f, 1.1f, 64, 1234);
        Sampler a = new Sampler(p, 4);
        Sampler b = new Sampler(p, 4);
        for (int i = 0; i < 100; i++) {
            int x = a.sample(LOGITS, 0);
            assertEquals(x, b.sample(LOGITS, 0));
            a.accept(x);
            b.accept(x);
        }
        assertTrue(new Sampler(p, 4).sample(LOGITS, 0) >= 0);
    }
}
