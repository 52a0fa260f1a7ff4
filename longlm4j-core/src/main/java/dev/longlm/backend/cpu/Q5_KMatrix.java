package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q5_K: super-blocks of 256 as {@code f16 d, f16 dmin, 12 bytes of scales/mins, 32 bytes of high
 * bits, 128 bytes of low nibbles}. Like Q4_K, plus a fifth bit: for the i-th group of 64 values,
 * bit 2i of {@code qh[l]} belongs to value l and bit 2i+1 to value 32 + l.
 */
public record Q5_KMatrix(MemorySegment data, int rows, int cols) implements IntegerMatvecMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q5_K.bytesPerBlock();

    // Local constants: the JIT must see the species as constants in the kernel to keep vectors unboxed.
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Byte> B = VectorKernels.B;

    private static final VectorSpecies<Short> S = IntegerKernels.S;
    private static final VectorSpecies<Float> IF = IntegerKernels.F;
    /** Lane t of a 64-byte nibble load reads the fifth bits in qh byte pair t mod 16. */
    private static final VectorShuffle<Short> DUPLICATE_LOWER_16 = VectorShuffle.fromOp(S, t -> t % 16);
    /** Lanes 16-31 hold the next 64-value chunk, whose fifth bits sit 2 higher in each qh byte. */
    private static final VectorMask<Short> UPPER_16 = VectorMask.fromLong(S, 0xFFFF0000L);

    public Q5_KMatrix {
        Layouts.check(GgmlType.Q5_K, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        if (!VectorKernels.FUSED) {
            dequantizeRowScalar(row, out, outOffset);
            return;
        }
        int blocks = cols / 256;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            float dmin = Layouts.f16(data, block + 2);
            long qh = block + 16;
            for (int j = 0; j < 4; j++) {
                long ql = block + 48 + 32L * j;
                int o = outOffset + b * 256 + 64 * j;
                float d1 = d * KQuantScales.scale(data, block + 4, 2 * j);
                float m1 = dmin * KQuantScales.min(data, block + 4, 2 * j);
                float d2 = d * KQuantScales.scale(data, block + 4, 2 * j + 1);
                float m2 = dmin * KQuantScales.min(data, block + 4, 2 * j + 1);
                for (int l = 0; l < 32; l += F.length()) {
                    ByteVector packed = ByteVector.fromMemorySegment(B, data, ql + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector high = ByteVector.fromMemorySegment(B, data, qh + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector q1 = packed.and((byte) 0xF)
                            .or(high.lanewise(VectorOperators.LSHR, 2 * j).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    ByteVector q2 = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF)
                            .or(high.lanewise(VectorOperators.LSHR, 2 * j + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).mul(d1).sub(m1).intoArray(out, o + l);
                    ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 0)).mul(d2).sub(m2).intoArray(out, o + 32 + l);
                }
            }
        }
    }

    /** The plain per-value form of {@link #dequantizeRow}, for lane widths without fused kernels (tested directly). */
    void dequantizeRowScalar(int row, float[] out, int outOffset) {
        int blocks = cols / 256;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            float dmin = Layouts.f16(data, block + 2);
            long qh = block + 16;
            long ql = block + 48;
            int o = outOffset + b * 256;
            for (int j = 0; j < 4; j++, ql += 32, o += 64) {
                float d1 = d * KQuantScales.scale(data, block + 4, 2 * j);
                float m1 = dmin * KQuantScales.min(data, block + 4, 2 * j);
                float d2 = d * KQuantScales.scale(data, block + 4, 2 * j + 1);
                float m2 = dmin * KQuantScales.min(data, block + 4, 2 * j + 1);
                for (int l = 0; l < 32; l++) {
                    int q = data.get(Layouts.BYTE, ql + l) & 0xFF;
                    int h = data.get(Layouts.BYTE, qh + l) >>> (2 * j);
                    out[o + l] = d1 * ((q & 0xF) + ((h & 1) << 4)) - m1;
                    out[o + 32 + l] = d2 * ((q >>> 4) + ((h & 2) << 3)) - m2;
                }
            }
        }
    }

    /** Fused kernel as in {@link Q4_KMatrix#matvec}, with the fifth bit or-ed in from {@code qh}. */
    @Override
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        if (!VectorKernels.FUSED) {
            IntegerMatvecMatrix.super.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        fusedMatvec(x, xOffset, out, outOffset, rowStart, rowEnd, RowScratch.ofThread());
    }

    // Apart from the scratch lookup (ThreadLocal.get), which would spend C2's inlining budget before the vector code.
    private void fusedMatvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd, RowScratch scratch) {
        int blocks = cols / 256;
        int lanes = F.length();
        float[] xSums = scratch.groupSums(cols / 32);
        VectorKernels.groupSums(x, xOffset, cols, xSums);
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(F);
            float minTerm = 0;
            for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
                float d = Layouts.f16(data, block);
                float dmin = Layouts.f16(data, block + 2);
                long qh = block + 16;
                for (int j = 0; j < 4; j++) {
                    long ql = block + 48 + 32L * j;
                    int xo = xOffset + b * 256 + 64 * j;
                    FloatVector lo = FloatVector.zero(F);
                    FloatVector hi = FloatVector.zero(F);
                    for (int l = 0; l < 32; l += lanes) {
                        ByteVector packed = ByteVector.fromMemorySegment(B, data, ql + l, ByteOrder.LITTLE_ENDIAN);
                        ByteVector high = ByteVector.fromMemorySegment(B, data, qh + l, ByteOrder.LITTLE_ENDIAN);
                        ByteVector q1 = packed.and((byte) 0xF)
                                .or(high.lanewise(VectorOperators.LSHR, 2 * j).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                        ByteVector q2 = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF)
                                .or(high.lanewise(VectorOperators.LSHR, 2 * j + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                        lo = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + l), lo);
                        hi = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 32 + l), hi);
                    }
                    acc = lo.fma(FloatVector.broadcast(F, d * KQuantScales.scale(data, block + 4, 2 * j)), acc);
                    acc = hi.fma(FloatVector.broadcast(F, d * KQuantScales.scale(data, block + 4, 2 * j + 1)), acc);
                    minTerm += dmin * KQuantScales.min(data, block + 4, 2 * j) * xSums[8 * b + 2 * j]
                            + dmin * KQuantScales.min(data, block + 4, 2 * j + 1) * xSums[8 * b + 2 * j + 1];
                }
            }
            // LaneSum's order, written out (see the integer kernel); FUSED means 8 or 16 lanes
            if (lanes == 16) {
                acc = acc.add(acc.rearrange(LaneSum.PREFERRED_8));
            }
            acc = acc.add(acc.rearrange(LaneSum.PREFERRED_4));
            acc = acc.add(acc.rearrange(LaneSum.PREFERRED_2));
            out[outOffset + r] = acc.add(acc.rearrange(LaneSum.PREFERRED_1)).lane(0) - minTerm;
        }
    }

    @Override
    public LevelPlanes levelPlanes() {
        return Q4_KMatrix.PLANES;
    }

    @Override
    public void integerMatvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        // The nibbles are laid out as Q4_K's, so the activation order is Q4_K's too (and shared with it).
        integerMatvec(x.planes(Q4_KMatrix.PLANES), x.scales(), x.sums32(), out, outOffset, rowStart, rowEnd);
    }

    /**
     * {@link Q4_KMatrix}'s integer kernel with each value's fifth bit or-ed in at bit 4 (values 0-31,
     * so two products per 16-bit lane stay below 2^13). The qh bytes are loaded once per super-block,
     * duplicated for both lane halves and pre-shifted for the upper one; each half then shifts by 4.
     * {@link IntegerKernels#pairSums} and the scale extraction are written out here: see
     * {@link IntegerKernels} on why this kernel calls no helper in its inner loop.
     */
    private void integerMatvec(short[] planes, float[] activationScales, int[] sums32, float[] out, int outOffset, int rowStart, int rowEnd) {
        var s16 = S;
        int blocks = cols / 256;
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(IF);
            float minTerm = 0;
            for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
                float d = Float.float16ToFloat(data.get(Layouts.SHORT, block)) * activationScales[b];
                float dmin = Float.float16ToFloat(data.get(Layouts.SHORT, block + 2)) * activationScales[b];
                int u0 = data.get(Layouts.INT, block + 4);
                int u1 = data.get(Layouts.INT, block + 8);
                int u2 = data.get(Layouts.INT, block + 12);
                long scales = KQuantScales.scalesOf(u0, u2);
                long mins = KQuantScales.minsOf(u1, u2);
                int minDot = 0;
                for (int k = 0; k < 8; k++) {
                    minDot += (int) ((mins >>> (8 * k)) & 0xFF) * sums32[8 * b + k];
                }
                minTerm += dmin * minDot;
                ShortVector qh = ((ShortVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_256, data, block + 16, ByteOrder.LITTLE_ENDIAN)
                        .reinterpretShape(s16, 0)).rearrange(DUPLICATE_LOWER_16);
                qh = qh.blend(qh.lanewise(VectorOperators.LSHR, 2), UPPER_16);
                for (int half = 0; half < 2; half++) {
                    int p = 256 * b + 128 * half;
                    ShortVector h = qh.lanewise(VectorOperators.LSHR, 4 * half);
                    ShortVector w = ShortVector.fromMemorySegment(s16, data, block + 48 + 64L * half, ByteOrder.LITTLE_ENDIAN);
                    ShortVector low = w.and((short) 0xF).or(h.lanewise(VectorOperators.LSHL, 4).and((short) 0x10))
                            .mul(ShortVector.fromArray(s16, planes, p))
                            .add(w.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).or(h.lanewise(VectorOperators.LSHR, 4).and((short) 0x10))
                                    .mul(ShortVector.fromArray(s16, planes, p + 64)));
                    ShortVector high = w.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).or(h.lanewise(VectorOperators.LSHL, 3).and((short) 0x10))
                            .mul(ShortVector.fromArray(s16, planes, p + 32))
                            .add(w.lanewise(VectorOperators.LSHR, 12).or(h.lanewise(VectorOperators.LSHR, 5).and((short) 0x10))
                                    .mul(ShortVector.fromArray(s16, planes, p + 96)));
                    int sb = 4 * half; // low nibbles: sub-blocks sb, sb + 2; high nibbles: sb + 1, sb + 3
                    FloatVector lowF = (FloatVector) low.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
                    FloatVector highF = (FloatVector) high.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
                    acc = lowF.fma(FloatVector.broadcast(IF, d * (int) ((scales >>> (8 * sb)) & 0xFF)).blend(d * (int) ((scales >>> (8 * sb + 16)) & 0xFF), IntegerKernels.UPPER_HALF), acc);
                    acc = highF.fma(FloatVector.broadcast(IF, d * (int) ((scales >>> (8 * sb + 8)) & 0xFF)).blend(d * (int) ((scales >>> (8 * sb + 24)) & 0xFF), IntegerKernels.UPPER_HALF), acc);
                }
            }
            // LaneSum's order, written out: past C2's inlining budget a call here would stay out of line
            acc = acc.add(acc.rearrange(LaneSum.WIDE_8));
            acc = acc.add(acc.rearrange(LaneSum.WIDE_4));
            acc = acc.add(acc.rearrange(LaneSum.WIDE_2));
            out[outOffset + r] = acc.add(acc.rearrange(LaneSum.WIDE_1)).lane(0) - minTerm;
        }
    }
}
