package dev.longlm.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code e^x} in float from lane-wise FMAs, multiplications, additions and exponent bits only, so
 * that it gives the same bits in every JIT tier and in its vector and scalar forms; within 1 ulp of
 * the correctly rounded value for normal results (ExponentialTest).
 *
 * <p>The Vector API's {@code lanewise(EXP)} is not like that: C2 calls a vector math library (SVML on
 * x86) while the interpreter and C1 apply {@link Math#exp} lane by lane, and the two differ in the
 * last bit for some inputs, so softmax weights depended on when the attention kernel was compiled.
 *
 * <p>Method: {@code x = n·ln2 + r} with {@code n = round(x/ln2)} and {@code |r| ≤ ln2/2}, ln2 split
 * in two parts (Cody and Waite) so that {@code r} is exact to a few ulp of itself;
 * {@code e^r} by its Taylor polynomial of degree 7 (truncation error below 5.3e-9 relative, a twentieth of
 * an ulp) in Horner form; then two multiplications by powers of two that together make {@code 2^n},
 * so that results in the subnormal range are rounded once and {@code n = 128} overflows to infinity.
 * Inputs are clamped to {@code [-110, 89]}, beyond which the float result is 0 or infinity anyway.
 */
final class Exponential {
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

    /** {@code e^x} lane by lane; lane i of the result equals {@link #of(float)} of lane i. */
    static FloatVector of(FloatVector x) {
        var species = x.species();
        FloatVector clamped = x.max(LOW).min(HIGH);
        FloatVector rounded = clamped.fma(LOG2_E, ROUNDER);
        FloatVector n = rounded.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(species, -LN2_HIGH), clamped);
        r = n.fma(FloatVector.broadcast(species, -LN2_LOW), r);
        FloatVector p = r.fma(C7, C6);
        p = p.fma(r, FloatVector.broadcast(species, C5));
        p = p.fma(r, FloatVector.broadcast(species, C4));
        p = p.fma(r, FloatVector.broadcast(species, C3));
        p = p.fma(r, FloatVector.broadcast(species, C2));
        p = p.fma(r, FloatVector.broadcast(species, 1f));
        p = p.fma(r, FloatVector.broadcast(species, 1f));
        IntVector exponent = rounded.reinterpretAsInts().sub(ROUNDER_BITS);
        IntVector half = exponent.lanewise(VectorOperators.ASHR, 1);
        FloatVector first = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector second = exponent.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(first).mul(second);
    }

    /** {@code e^x} by the same operations as {@link #of(FloatVector)}, for one value. */
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
