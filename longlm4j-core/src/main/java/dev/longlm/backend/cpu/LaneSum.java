package dev.longlm.backend.cpu;

import jdk.incubator.vector.FloatVector;
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
 * <p>A record, so that C2 trusts its fields as constants: a kernel calls {@code SUM.of(acc)} on a
 * {@code static final} instance for its species, and once inlined the permutes are constants and
 * the steps for lanes the species does not have fold away.
 *
 * @param lanes  the species' lane count
 * @param plus8  lane i takes lane i + 8 (mod lanes), and so on for the other distances
 */
record LaneSum(int lanes, VectorShuffle<Float> plus8, VectorShuffle<Float> plus4, VectorShuffle<Float> plus2,
               VectorShuffle<Float> plus1) {
    /** The most lanes summed with permutes; wider species (only some ARM SVE sizes) take the scalar form. */
    private static final int MAX_FOLDED_LANES = 16;

    static LaneSum of(VectorSpecies<Float> species) {
        int lanes = species.length();
        return new LaneSum(lanes, plus(species, 8), plus(species, 4), plus(species, 2), plus(species, 1));
    }

    private static VectorShuffle<Float> plus(VectorSpecies<Float> species, int distance) {
        int lanes = species.length();
        return VectorShuffle.fromOp(species, i -> (i + distance) % lanes);
    }

    /** The lanes of {@code v} (of this record's species) summed in the order above. */
    float of(FloatVector v) {
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
    static float ofLanes(float[] lanes) {
        for (int half = lanes.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) {
                lanes[i] += lanes[i + half];
            }
        }
        return lanes[0];
    }
}
