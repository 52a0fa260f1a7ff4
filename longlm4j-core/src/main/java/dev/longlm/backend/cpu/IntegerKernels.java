package dev.longlm.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.function.IntUnaryOperator;

/**
 * Shared pieces of the integer matvec kernels, which multiply weight levels with 8-bit activation
 * levels in 16-bit lanes (as ggml multiplies them in 8-bit lanes) instead of widening both to
 * floats. The Vector API has no widening byte dot product (x86 {@code vpmaddubsw}/{@code vpdpbusd}),
 * so a lane holds one weight level (at most 6 bits) times one activation level, two such products
 * are summed per lane, and pairs of lanes are then summed into 32-bit lanes and converted once per
 * sub-block. With 512-bit vectors this does about 2.4× the work per instruction of widening to
 * floats (MatvecBenchmark); with narrower vectors it does not pay, so the float kernels remain.
 *
 * <p>Kernels with many vector operations write {@link #pairSums} out in full instead of calling them. A
 * kernel's many Vector API calls bring C2 past its inlining node budget; past it, the JDK's own
 * {@code @ForceInline} vector methods are still inlined (later, incrementally) but any other method
 * is not, and a vector passed to or returned from an out-of-line call is boxed on the heap. One such
 * call in the inner loop made Q5_K and Q6_K 2-3× slower; scalar helpers called out of line cost a
 * call each (Q5_K's per-sub-block scale extraction as a method: 2× slower). The method states the
 * formula once.
 */
final class IntegerKernels {
    /**
     * Whether the integer kernels run: they need 512-bit vectors, and
     * {@code -Dlonglm.kernels=float} turns them off to compare with the float kernels.
     */
    static final boolean ENABLED = ShortVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            && !"float".equals(System.getProperty("longlm.kernels"));

    static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    /**
     * The upper 8 of 16 float lanes: after pair sums they hold the second 32-value group of a 64-byte
     * load, so a kernel blends that group's scale into them.
     */
    static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(F, 0xFF00L);

    private IntegerKernels() {
    }

    /**
     * Sums lanes {@code 2i} and {@code 2i + 1} of {@code v} (as signed 16-bit) into float lane {@code i}.
     * Seen as 32-bit lanes {@code L + H·2^16}, multiplying by {@code 0x10001} puts {@code L + H} (mod
     * 2^16) in the upper half, which an arithmetic shift extracts: exact while {@code |L + H| < 2^15},
     * which holds for the kernels' sums. Fewer operations than shifting both halves out matters: a
     * kernel's vector calls count against C2's inlining budget.
     */
    static FloatVector pairSums(ShortVector v) {
        return (FloatVector) v.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16)
                .convert(VectorOperators.I2F, 0);
    }

    /** {@link #pairSums} for lanes whose pair sums may reach 2^15 (up to 2·32767): both halves shifted out and added as 32-bit. */
    static FloatVector widePairSums(ShortVector v) {
        IntVector i = v.reinterpretAsInts();
        return (FloatVector) i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(i.lanewise(VectorOperators.ASHR, 16))
                .convert(VectorOperators.I2F, 0);
    }

    /**
     * Indexes for a two-vector byte permute ({@code selectFrom}) of 64-byte loads at a group's first
     * block and {@code second} bytes on: byte i takes the byte at {@code offsetOf(i)} from the first
     * block, from the first load where it holds it (Q4_1, Q5_0, Q5_1: four blocks per step).
     */
    static ByteVector pickBytes(IntUnaryOperator offsetOf, int second) {
        byte[] index = new byte[64];
        for (int i = 0; i < 64; i++) {
            int offset = offsetOf.applyAsInt(i);
            index[i] = (byte) (offset < 64 ? offset : 64 + offset - second);
        }
        return ByteVector.fromArray(ByteVector.SPECIES_512, index, 0);
    }

    /**
     * {@link #pickBytes} for f16 scales: int lane i takes, in both halves, the f16 at byte
     * {@code offsetOf(i)} from the first block (only the upper half counts, as in {@link Q4_0Matrix#f16Scales}).
     */
    static ShortVector pickShorts(IntUnaryOperator offsetOf, int second) {
        short[] index = new short[32];
        for (int lane = 0; lane < 32; lane++) {
            int offset = offsetOf.applyAsInt(lane / 2);
            index[lane] = (short) (offset + 2 <= 64 ? offset / 2 : 32 + (offset - second) / 2);
        }
        return ShortVector.fromArray(S, index, 0);
    }
}
