package dev.longlm.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed order, the same bits in every JIT tier.
 *
 * <p>{@code FloatVector.reduceLanes(ADD)} leaves the order of its additions unspecified, and it does
 * differ: the Java code that the interpreter and C1 run adds lane 0, 1, 2, … in turn, C2's intrinsic
 * adds halves of the vector, so a result depended on whether its method had been compiled yet. Here
 * the upper half of the lanes is added onto the lower half with lane-wise additions (IEEE-exact in
 * every tier), then the upper half of what remains, until lane 0 holds the sum; for 16 lanes
 * {@code (((l0+l8)+(l4+l12))+((l2+l10)+(l6+l14))) + (((l1+l9)+(l5+l13))+((l3+l11)+(l7+l15)))}.
 * Each step is one constant permute and one add, as in C2's own reduction.
 *
 * <p>Two species are summed: the preferred one (the float kernels, {@link FloatArrays}) and the
 * 512-bit one (the integer kernels); on AVX-512 they are the same. Species and permutes are
 * {@code static final}, so the Vector API's intrinsics see constants even where C2 compiles one of
 * these methods on its own rather than inlining it (with a species read from a field they fall back
 * to plain Java, many times slower).
 *
 * <p>Past C2's inlining budget a call of one of our methods is left out of line, and a vector
 * handed to it is boxed on the heap (see {@link IntegerKernels}). So the matrix kernels, whose row
 * loops spend that budget, write the four steps out with {@link #WIDE_8} … {@link #WIDE_1} (or the
 * preferred species' permutes) instead of calling {@link #ofPreferred(FloatVector)}: measured on
 * the 1B-shaped Q4_K_M model, one out-of-line call per row of the Q6_K output matrix cost a fifth
 * of the decoding time. Other kernels with several sums store the vectors to a scratch array and
 * call {@link #ofEachPreferred} once (an array argument costs a store and a load, not a box).
 */
final class LaneSum {
    private static final VectorSpecies<Float> PREFERRED = FloatVector.SPECIES_PREFERRED;
    // The permutes of the order above: lane i takes lane i + 8, 4, 2, 1 (mod the lane count).
    static final VectorShuffle<Float> PREFERRED_8 = plus(PREFERRED, 8);
    static final VectorShuffle<Float> PREFERRED_4 = plus(PREFERRED, 4);
    static final VectorShuffle<Float> PREFERRED_2 = plus(PREFERRED, 2);
    static final VectorShuffle<Float> PREFERRED_1 = plus(PREFERRED, 1);
    private static final VectorSpecies<Float> WIDE = FloatVector.SPECIES_512;
    static final VectorShuffle<Float> WIDE_8 = plus(WIDE, 8);
    static final VectorShuffle<Float> WIDE_4 = plus(WIDE, 4);
    static final VectorShuffle<Float> WIDE_2 = plus(WIDE, 2);
    static final VectorShuffle<Float> WIDE_1 = plus(WIDE, 1);
    /** The most lanes summed with permutes; wider species (only some ARM SVE sizes) take the scalar form. */
    private static final int MAX_FOLDED_LANES = 16;
    // Several preferred-species vectors summed at once (ofEachPreferred): step s pairs vectors, the
    // first's lanes where bit L/2^s of the index is clear, the second's where it is set.
    private static final int L = PREFERRED.length();
    private static final boolean PACKED = L == 8 || L == 16;
    private static final VectorMask<Float> SET_1 = lanesWithBit(L / 2);
    private static final VectorMask<Float> SET_2 = lanesWithBit(L / 4);
    private static final VectorMask<Float> SET_3 = lanesWithBit(L / 8);
    private static final VectorShuffle<Float> XOR_1 = xor(L / 2);
    private static final VectorShuffle<Float> XOR_2 = xor(L / 4);
    private static final VectorShuffle<Float> XOR_3 = xor(L / 8);
    private static final VectorShuffle<Float> XOR_4 = xor(L / 16);

    private LaneSum() {
    }

    /** Lane i takes lane i + distance (mod the lane count). */
    private static VectorShuffle<Float> plus(VectorSpecies<Float> species, int distance) {
        int lanes = species.length();
        return VectorShuffle.fromOp(species, i -> (i + distance) % lanes);
    }

    private static VectorMask<Float> lanesWithBit(int bit) {
        boolean[] set = new boolean[L];
        for (int i = 0; i < L; i++) {
            set[i] = (i & bit) != 0;
        }
        return VectorMask.fromArray(PREFERRED, set, 0);
    }

    /** Lane i takes lane i ^ bit (lane i itself for bit 0). */
    private static VectorShuffle<Float> xor(int bit) {
        return VectorShuffle.fromOp(PREFERRED, i -> i ^ bit);
    }

    /** The lanes of {@code v}, of the preferred species, summed in the order above. */
    static float ofPreferred(FloatVector v) {
        return fold(v, PREFERRED_8, PREFERRED_4, PREFERRED_2, PREFERRED_1);
    }

    /** {@link #ofPreferred(FloatVector)} of the preferred-species vector stored at {@code lanes[offset …]}. */
    static float ofPreferred(float[] lanes, int offset) {
        return fold(FloatVector.fromArray(PREFERRED, lanes, offset), PREFERRED_8, PREFERRED_4, PREFERRED_2, PREFERRED_1);
    }

    /** The same for the 512-bit vector (16 lanes) stored at {@code lanes[offset …]}. */
    static float of512(float[] lanes, int offset) {
        return fold(FloatVector.fromArray(WIDE, lanes, offset), WIDE_8, WIDE_4, WIDE_2, WIDE_1);
    }

    /**
     * Sums each of {@code count} (a multiple of 4) preferred-species vectors stored one after
     * another from {@code lanes[0]}, writing sum k to {@code lanes[k]}; each sum has the bits of
     * {@link #ofPreferred(float[], int)} of that vector. Kernels with several sums per row or per
     * tile store them and call this once for many, so that no call sits in their inner loops.
     *
     * <p>With 8 or 16 lanes, eight vectors are summed together: a step takes two vectors A and B and
     * leaves, in one vector, A's lanes i + d added onto its lanes i and B's lanes i added onto its
     * lanes i + d (one blend, one permute, one add; d halves each step), so 8 sums take 7 such steps
     * and one more permute-add where separate sums take 32. Addition is commutative, so each sum
     * keeps the order above. Sum k is written after vectors 0 … k have been read, so the results may
     * overwrite the vectors.
     */
    static void ofEachPreferred(float[] lanes, int count) {
        if (!PACKED) {
            for (int k = 0; k < count; k++) {
                lanes[k] = ofPreferred(lanes, k * L);
            }
            return;
        }
        int k = 0;
        for (; k + 8 <= count; k += 8) {
            int at = k * L;
            FloatVector v0 = FloatVector.fromArray(PREFERRED, lanes, at);
            FloatVector v1 = FloatVector.fromArray(PREFERRED, lanes, at + L);
            FloatVector v2 = FloatVector.fromArray(PREFERRED, lanes, at + 2 * L);
            FloatVector v3 = FloatVector.fromArray(PREFERRED, lanes, at + 3 * L);
            FloatVector v4 = FloatVector.fromArray(PREFERRED, lanes, at + 4 * L);
            FloatVector v5 = FloatVector.fromArray(PREFERRED, lanes, at + 5 * L);
            FloatVector v6 = FloatVector.fromArray(PREFERRED, lanes, at + 6 * L);
            FloatVector v7 = FloatVector.fromArray(PREFERRED, lanes, at + 7 * L);
            // each step written out (a helper taking vectors, if C2 left it out of line, would box them)
            FloatVector h01 = v0.blend(v1, SET_1).add(v1.blend(v0, SET_1).rearrange(XOR_1)); // halves: v0, v1
            FloatVector h23 = v2.blend(v3, SET_1).add(v3.blend(v2, SET_1).rearrange(XOR_1));
            FloatVector h45 = v4.blend(v5, SET_1).add(v5.blend(v4, SET_1).rearrange(XOR_1));
            FloatVector h67 = v6.blend(v7, SET_1).add(v7.blend(v6, SET_1).rearrange(XOR_1));
            FloatVector q0 = h01.blend(h23, SET_2).add(h23.blend(h01, SET_2).rearrange(XOR_2)); // quarters: v0, v2, v1, v3
            FloatVector q1 = h45.blend(h67, SET_2).add(h67.blend(h45, SET_2).rearrange(XOR_2)); // quarters: v4, v6, v5, v7
            FloatVector e = q0.blend(q1, SET_3).add(q1.blend(q0, SET_3).rearrange(XOR_3)); // eighths: v0, v4, v2, v6, v1, v5, v3, v7
            if (L == 16) {
                e = e.add(e.rearrange(XOR_4));
            }
            int eighth = L / 8;
            lanes[k] = e.lane(0);
            lanes[k + 1] = e.lane(4 * eighth);
            lanes[k + 2] = e.lane(2 * eighth);
            lanes[k + 3] = e.lane(6 * eighth);
            lanes[k + 4] = e.lane(eighth);
            lanes[k + 5] = e.lane(5 * eighth);
            lanes[k + 6] = e.lane(3 * eighth);
            lanes[k + 7] = e.lane(7 * eighth);
        }
        if (k < count) { // four left
            int at = k * L;
            FloatVector v0 = FloatVector.fromArray(PREFERRED, lanes, at);
            FloatVector v1 = FloatVector.fromArray(PREFERRED, lanes, at + L);
            FloatVector v2 = FloatVector.fromArray(PREFERRED, lanes, at + 2 * L);
            FloatVector v3 = FloatVector.fromArray(PREFERRED, lanes, at + 3 * L);
            FloatVector h01 = v0.blend(v1, SET_1).add(v1.blend(v0, SET_1).rearrange(XOR_1));
            FloatVector h23 = v2.blend(v3, SET_1).add(v3.blend(v2, SET_1).rearrange(XOR_1));
            FloatVector q = h01.blend(h23, SET_2).add(h23.blend(h01, SET_2).rearrange(XOR_2)); // quarters: v0, v2, v1, v3
            q = q.add(q.rearrange(XOR_3));
            if (L == 16) {
                q = q.add(q.rearrange(XOR_4));
            }
            lanes[k] = q.lane(0);
            lanes[k + 1] = q.lane(L / 2);
            lanes[k + 2] = q.lane(L / 4);
            lanes[k + 3] = q.lane(3 * L / 4);
        }
    }

    private static float fold(FloatVector v, VectorShuffle<Float> plus8, VectorShuffle<Float> plus4,
                              VectorShuffle<Float> plus2, VectorShuffle<Float> plus1) {
        int lanes = v.length();
        if (lanes > MAX_FOLDED_LANES) {
            return ofLanes(v.toArray());
        }
        if (lanes > 8) {
            v = v.add(v.rearrange(plus8));
        }
        if (lanes > 4) {
            v = v.add(v.rearrange(plus4));
        }
        if (lanes > 2) {
            v = v.add(v.rearrange(plus2));
        }
        if (lanes > 1) {
            v = v.add(v.rearrange(plus1));
        }
        return v.lane(0);
    }

    /** The same order on plain lanes (any power-of-two count); overwrites {@code lanes}. */
    private static float ofLanes(float[] lanes) {
        for (int half = lanes.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) {
                lanes[i] += lanes[i + half];
            }
        }
        return lanes[0];
    }
}
