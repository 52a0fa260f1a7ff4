package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** Q8_0: blocks of 32 as {@code f16 d, 32 signed bytes}; value = q·d. */
public record Q8_0Matrix(MemorySegment data, int rows, int cols) implements IntegerMatvecMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q8_0.bytesPerBlock();

    // Local constants: the JIT must see the species as constants in the kernel to keep vectors unboxed.
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Byte> B = VectorKernels.B;

    /**
     * Activation order for the integer kernel: 16-bit lane t of two blocks' 64 levels holds values
     * 2t (low byte) and 2t + 1 (high byte), so the even values come first, then the odd ones.
     */
    static final LevelPlanes PLANES = new LevelPlanes("Q8_0", 64, evenThenOdd());
    /** Lanes 16-31: the second block's bytes come from a load 2 bytes further on, past its scale. */
    private static final VectorMask<Short> SECOND_BLOCK = VectorMask.fromLong(IntegerKernels.S, 0xFFFF0000L);
    /** Int lanes 0-7 take (in their upper half) the first block's f16 scale, short 0; lanes 8-15 the second's, short 17. */
    private static final VectorShuffle<Short> SCALES = VectorShuffle.fromOp(IntegerKernels.S, i -> i < 16 ? 0 : 17);
    /** Float lane i takes activation scale i / 8. */
    private static final VectorShuffle<Float> EXPAND8 = VectorShuffle.fromOp(IntegerKernels.F, i -> i / 8);

    public Q8_0Matrix {
        Layouts.check(GgmlType.Q8_0, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        if (!VectorKernels.FUSED) {
            dequantizeRowScalar(row, out, outOffset);
            return;
        }
        int blocks = cols / 32;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            int o = outOffset + b * 32;
            for (int j = 0; j < 32; j += F.length()) {
                ((FloatVector) ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, o + j);
            }
        }
    }

    /** The plain per-value form of {@link #dequantizeRow}, for lane widths without fused kernels (tested directly). */
    void dequantizeRowScalar(int row, float[] out, int outOffset) {
        int blocks = cols / 32;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            int o = outOffset + b * 32;
            for (int j = 0; j < 32; j++) {
                out[o + j] = data.get(Layouts.BYTE, block + 2 + j) * d;
            }
        }
    }

    @Override
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        if (!VectorKernels.FUSED) {
            IntegerMatvecMatrix.super.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        int blocks = cols / 32;
        int lanes = F.length();
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            // Two accumulators, two blocks per step: one chain of dependent FMAs per block was the limit.
            FloatVector acc0 = FloatVector.zero(F);
            FloatVector acc1 = FloatVector.zero(F);
            int b = 0;
            for (; b + 1 < blocks; b += 2, block += 2 * BLOCK_BYTES) {
                acc0 = blockDot(block, x, xOffset + b * 32, lanes).fma(FloatVector.broadcast(F, Layouts.f16(data, block)), acc0);
                acc1 = blockDot(block + BLOCK_BYTES, x, xOffset + b * 32 + 32, lanes)
                        .fma(FloatVector.broadcast(F, Layouts.f16(data, block + BLOCK_BYTES)), acc1);
            }
            if (b < blocks) {
                acc0 = blockDot(block, x, xOffset + b * 32, lanes).fma(FloatVector.broadcast(F, Layouts.f16(data, block)), acc0);
            }
            FloatVector acc = acc0.add(acc1);
            // LaneSum's order, written out (see the integer kernel); FUSED means 8 or 16 lanes
            if (lanes == 16) {
                acc = acc.add(acc.rearrange(LaneSum.PREFERRED_8));
            }
            acc = acc.add(acc.rearrange(LaneSum.PREFERRED_4));
            acc = acc.add(acc.rearrange(LaneSum.PREFERRED_2));
            out[outOffset + r] = acc.add(acc.rearrange(LaneSum.PREFERRED_1)).lane(0);
        }
    }

    /** The 32 levels of the block at {@code block} times {@code x[xo …]}, per lane (unscaled). */
    private FloatVector blockDot(long block, float[] x, int xo, int lanes) {
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < 32; j += lanes) {
            FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            sum = q.fma(FloatVector.fromArray(F, x, xo + j), sum);
        }
        return sum;
    }

    @Override
    public LevelPlanes levelPlanes() {
        return PLANES;
    }

    /**
     * Integer kernel against Q8_0 levels a with scales da, two blocks (64 values) per step:
     * {@code Σ q·d·a·da = d·da·Σ q·a}. Each 16-bit lane holds two weight bytes of one block, sign
     * extended by shifts; their two products with the levels (at most 2·127·127 = 32258) are summed
     * in the lane, pairs of lanes give eight partial sums per block as floats, and one FMA applies
     * d·da, built with vector ops as in {@link Q4_0Matrix#f16Scales}. Needs {@code cols % 64 == 0};
     * tests call it directly on any hardware.
     */
    @Override
    public void integerMatvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        integerMatvec(x.planes(PLANES), x.scales(), out, outOffset, rowStart, rowEnd);
    }

    // Apart from the QuantizedActivations accessors, as in the K-quant kernels, where inlining them used up C2's
    // inlining budget and left vectors boxed (Q4_K 2× slower); not measured to matter for this one.
    private void integerMatvec(short[] planes, float[] activationScales, float[] out, int outOffset, int rowStart, int rowEnd) {
        var s16 = IntegerKernels.S;
        int blocks = cols / 32;
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(IntegerKernels.F);
            for (int b = 0; b < blocks; b += 2, block += 2 * BLOCK_BYTES) {
                // both loads end within the two blocks' 68 bytes
                ShortVector w = ShortVector.fromMemorySegment(s16, data, block + 2, ByteOrder.LITTLE_ENDIAN)
                        .blend(ShortVector.fromMemorySegment(s16, data, block + 4, ByteOrder.LITTLE_ENDIAN), SECOND_BLOCK);
                int p = 32 * b;
                ShortVector sum = w.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(ShortVector.fromArray(s16, planes, p))
                        .add(w.lanewise(VectorOperators.ASHR, 8).mul(ShortVector.fromArray(s16, planes, p + 32)));
                FloatVector d = Q4_0Matrix.f16Scales(ShortVector.fromMemorySegment(s16, data, block, ByteOrder.LITTLE_ENDIAN).rearrange(SCALES));
                FloatVector da = FloatVector.fromArray(FloatVector.SPECIES_64, activationScales, b)
                        .reinterpretShape(IntegerKernels.F, 0).reinterpretAsFloats().rearrange(EXPAND8);
                // two products of 127·127 per lane: pairs reach 64516, past pairSums' 2^15
                acc = IntegerKernels.widePairSums(sum).fma(d.mul(da.mul(Q4_0Matrix.TWO_112)), acc);
            }
            // LaneSum's order, written out: past C2's inlining budget a call here would stay out of line
            acc = acc.add(acc.rearrange(LaneSum.WIDE_8));
            acc = acc.add(acc.rearrange(LaneSum.WIDE_4));
            acc = acc.add(acc.rearrange(LaneSum.WIDE_2));
            out[outOffset + r] = acc.add(acc.rearrange(LaneSum.WIDE_1)).lane(0);
        }
    }

    private static int[] evenThenOdd() {
        int[] order = new int[64];
        for (int t = 0; t < 32; t++) {
            order[t] = 2 * t;
            order[32 + t] = 2 * t + 1;
        }
        return order;
    }
}
