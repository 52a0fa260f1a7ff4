package dev.longlm.attention;

import dev.longlm.InputException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Each method's RoPE against values computed by hand for head dim 8 (4 rotation pairs), base 10000,
 * trained context 256: the model's inverse frequencies are 1, 0.1, 0.01, 0.001.
 */
class ContextMethodTest {
    private static final int TRAINED = 256;
    private static final Rope MODEL_ROPE = Rope.standard(8, 8, RopeLayout.ADJACENT_PAIRS, 10000);

    private static void assertFrequencies(double[] expected, Rope rope) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], rope.inverseFrequency(i), expected[i] * 1e-4, "pair " + i);
        }
    }

    @Test
    void noneKeepsTheModelsFrequencies() {
        assertFrequencies(new double[]{1, 0.1, 0.01, 0.001}, ContextMethod.none().rope(MODEL_ROPE, TRAINED, 1000));
    }

    @Test
    void linearInterpolationDividesEveryFrequencyByTheScale() {
        assertFrequencies(new double[]{0.25, 0.025, 0.0025, 0.00025}, ContextMethod.linear(4).rope(MODEL_ROPE, TRAINED, 1000));
    }

    @Test
    void ntkRaisesTheBaseBySToTheDOverDMinus2() {
        // base' = 10000 · 4^(8/6) = 63496.04; pair i: base'^(-2i/8)
        assertFrequencies(new double[]{1, 0.0629961, 0.00396850, 0.00025},
                ContextMethod.ntk(4).rope(MODEL_ROPE, TRAINED, 1000));
    }

    @Test
    void dynamicNtkRescalesOnlyPastTheTrainedContext() {
        assertFrequencies(new double[]{1, 0.1, 0.01, 0.001}, ContextMethod.dynamicNtk(1).rope(MODEL_ROPE, TRAINED, 200));
        // length 512: s = 512/256 = 2, pair i scaled by 2^(-2i/6)
        assertFrequencies(new double[]{1, 0.0793701, 0.00629961, 0.0005},
                ContextMethod.dynamicNtk(1).rope(MODEL_ROPE, TRAINED, 512));
    }

    @Test
    void yarnInterpolatesSlowPairsKeepsFastOnesAndRampsBetween() {
        // rotations over 256 positions: 40.74, 4.074, 0.4074, 0.0407 → ramp 1, 0.09917, 0, 0 (α=1, β=32)
        Rope yarn = ContextMethod.yarn(4, 1, 32).rope(MODEL_ROPE, TRAINED, 1000);
        assertFrequencies(new double[]{1, 0.0324382, 0.0025, 0.00025}, yarn);
        assertEquals(1.1386294, yarn.magnitude(), 1e-6); // 0.1·ln 4 + 1
        float[] x = {1, 0, 0, 0, 0, 0, 0, 0};
        float[] out = new float[8];
        yarn.rotate(x, 0, out, 0, 1, 2.0);
        assertEquals(1.1386294 * Math.cos(2.0), out[0], 1e-6);
        assertEquals(1.1386294 * Math.sin(2.0), out[1], 1e-6);
    }

    @Test
    void ropeRotatesPairsByPositionTimesFrequency() {
        float[] x = {0, 0, 1, 0, 0, 0, 0, 0}; // unit vector on pair 1 (frequency 0.1)
        float[] out = new float[8];
        MODEL_ROPE.rotate(x, 0, out, 0, 1, 10);
        assertEquals(Math.cos(1.0), out[2], 1e-6);
        assertEquals(Math.sin(1.0), out[3], 1e-6);
        Rope neox = Rope.standard(8, 8, RopeLayout.NEOX, 10000);
        neox.rotate(new float[]{0, 1, 0, 0, 0, 0, 0, 0}, 0, out, 0, 1, 10);
        assertEquals(Math.cos(1.0), out[1], 1e-6);
        assertEquals(Math.sin(1.0), out[5], 1e-6); // NeoX pairs x[i] with x[i + d/2]
    }

    @Test
    void selfExtendAndStreamingPositions() {
        SelfExtend se = (SelfExtend) ContextMethod.selfExtend(4, 32).positionScheme();
        assertEquals(1000 / 4 + 32 - 8, se.groupedQuery(1000));
        assertEquals(249, se.groupedKey(999));
        assertEquals((256 - 32) * 4 + 32, ContextMethod.selfExtend(4, 32).maxLength(TRAINED));
        PositionScheme streaming = ContextMethod.streaming(4, 8).positionScheme();
        assertEquals(11, streaming.farQueryPosition(20)); // query at cache slot sinks + recent - 1
        assertEquals(6, streaming.farQueryPosition(6));   // cache not yet full
        assertEquals(4, streaming.ranges().farKeyLimit());
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThrows(InputException.class, () -> ContextMethod.linear(0.5));
        assertThrows(InputException.class, () -> ContextMethod.yarn(2, 32, 1));
        assertThrows(InputException.class, () -> ContextMethod.streaming(4, 0));
        assertThrows(InputException.class, () -> ContextMethod.Kind.parse("alibi"));
    }
}
