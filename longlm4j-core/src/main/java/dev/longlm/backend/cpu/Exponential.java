package dev.longlm.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code e^x} in float from lane-wise FMAs, multiplications, additions and exponent bits only, so
 * that it gives the same bits in every JIT tier and in its vector and scalar forms; within 1 ulp of
 * the exact value (at most 0.94 ulp over every float from −110 to 89; ExponentialTest checks a grid).
 *
 * <p>The Vector API's {@code lanewise(EXP)} is not like that: C2 calls a vector math library (SVML on
 * x86) while the interpreter and C1 apply {@link Math#exp} lane by lane, and the two differ in the
 * last bit for some inputs, so softmax weights depended on when the attention kernel was compiled.
 *
 * <p>Method: {@code x = n·ln2 + r} with {@code n = round(x/ln2)} and {@code |r| ≤ ln2/2}, ln2 split
 * in two parts (Cody and Waite) so that {@code r} is exact to a few ulp of itself;
 * {@code e^r} by its Taylor polynomial of degree 7 (truncation error below 7.3e-9, under a tenth of an
 * ulp) in Horner form; then two multiplications by powers of two that together make {@code 2^n},
 * so that results in the subnormal range are rounded once and {@code n = 128} overflows to infinity.
 * Inputs are clamped to {@code [-110, 89]}, beyond which the float result is 0 or infinity anyway.
 */
final class Exponential {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float LOW = -110f;
    private static final float HIGH = 89f;
    private static final float LOG2_E = (float) (1 / Math.log(2));
    /** ln2's leading bits (9 significant, so {@code n·LN2_HIGH} is exact for |n| < 2^15) and the rest. */
    private static final float LN2_HIGH = 0.693359375f;
    private static final float LN2_LOW = (float) (Math.log(2) - 0.693359375);
    /**
     * 1.5·2^23: adding it to a float of magnitude below 2^22 rounds that to an integer n (to
     * nearest, ties to even) and leaves n in the low mantissa bits.
     */
    private static final float ROUNDER = 0x1.8p23f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float C2 = 1f / 2;
    private static final float C3 = 1f / 6;
    private static final float C4 = 1f / 24;
    private static final float C5 = 1f / 120;
    private static final float C6 = 1f / 720;
    private static final float C7 = 1f / 5040;

    private Exponential() {
    }

    /**
     * {@code a[i] = e^(a[i] − shift)} over {@code a[offset … offset + n)}, returning the sum of the
     * new values (see {@link FloatArrays#expShiftSum}). Lanes of full vectors take the vector form of
     * {@link #of(float)}, written out here (a helper with a vector argument, left out of line by C2,
     * would box it), the tail the scalar form: every value is {@code of(a[i] − shift)}, bit for bit.
     * The sum adds the vectors lane-wise, folds the lanes with {@link LaneSum}, then adds the tail in order.
     */
    static float expShiftSum(float[] a, int offset, int n, float shift) {
        int i = 0;
        float sum = 0;
        if (n >= S.length()) {
            FloatVector vShift = FloatVector.broadcast(S, shift);
            FloatVector low = FloatVector.broadcast(S, LOW);
            FloatVector high = FloatVector.broadcast(S, HIGH);
            FloatVector log2e = FloatVector.broadcast(S, LOG2_E);
            FloatVector rounder = FloatVector.broadcast(S, ROUNDER);
            FloatVector minusLn2High = FloatVector.broadcast(S, -LN2_HIGH);
            FloatVector minusLn2Low = FloatVector.broadcast(S, -LN2_LOW);
            FloatVector one = FloatVector.broadcast(S, 1f);
            FloatVector vSum = FloatVector.zero(S);
            for (int bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector clamped = FloatVector.fromArray(S, a, offset + i).sub(vShift).max(low).min(high);
                FloatVector rounded = clamped.fma(log2e, rounder);
                FloatVector m = rounded.sub(rounder);
                FloatVector r = m.fma(minusLn2High, clamped);
                r = m.fma(minusLn2Low, r);
                FloatVector p = r.fma(C7, C6);
                p = p.fma(r, FloatVector.broadcast(S, C5));
                p = p.fma(r, FloatVector.broadcast(S, C4));
                p = p.fma(r, FloatVector.broadcast(S, C3));
                p = p.fma(r, FloatVector.broadcast(S, C2));
                p = p.fma(r, one);
                p = p.fma(r, one);
                IntVector exponent = rounded.reinterpretAsInts().sub(ROUNDER_BITS);
                IntVector half = exponent.lanewise(VectorOperators.ASHR, 1);
                FloatVector first = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector second = exponent.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector w = p.mul(first).mul(second);
                vSum = vSum.add(w);
                w.intoArray(a, offset + i);
            }
            sum = LaneSum.ofPreferred(vSum);
        }
        for (; i < n; i++) {
            float w = of(a[offset + i] - shift);
            sum += w;
            a[offset + i] = w;
        }
        return sum;
    }

    /** {@code e^x} for one value, by the operations {@link #expShiftSum} applies lane-wise. */
    static float of(float x) {
        float clamped = Math.min(Math.max(x, LOW), HIGH);
        float rounded = Math.fma(clamped, LOG2_E, ROUNDER);
        float n = rounded - ROUNDER;
        float r = Math.fma(n, -LN2_HIGH, clamped);
        r = Math.fma(n, -LN2_LOW, r);
        float p = Math.fma(r, C7, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int exponent = Float.floatToRawIntBits(rounded) - ROUNDER_BITS;
        int half = exponent >> 1;
        float first = Float.intBitsToFloat((half + 127) << 23);
        float second = Float.intBitsToFloat((exponent - half + 127) << 23);
        return p * first * second;
    }
}
