package dev.longlm.tensor;

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
public record Q5_KMatrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
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
            RowDequantizingMatrix.super.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        int blocks = cols / 256;
        int lanes = F.length();
        float[] xSums = VectorKernels.groupSums(x, xOffset, cols);
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
            out[outOffset + r] = acc.reduceLanes(VectorOperators.ADD) - minTerm;
        }
    }

    @Override
    public void prepare(QuantizedActivations x) {
        if (IntegerKernels.ENABLED && x.format() == ActivationFormat.Q8_K) {
            x.planes(Q4_KMatrix.PLANES);
        }
    }

    @Override
    public void matvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        if (IntegerKernels.ENABLED && x.format() == ActivationFormat.Q8_K) {
            integerMatvec(x, out, outOffset, rowStart, rowEnd);
        } else {
            RowDequantizingMatrix.super.matvec(x, out, outOffset, rowStart, rowEnd);
        }
    }

    /** The integer kernel whatever the hardware (tests call it directly; it is slow without 512-bit vectors). */
    void integerMatvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        // The nibbles are laid out as Q4_K's, so the activation order is Q4_K's too (and shared with it).
        integerMatvec(x.planes(Q4_KMatrix.PLANES), x.scales(), x.sums32(), out, outOffset, rowStart, rowEnd);
    }

    /**
     * {@link Q4_KMatrix}'s integer kernel with each value's fifth bit or-ed in at bit 4 (values 0-31,
     * so two products per 16-bit lane stay below 2^13). The qh bytes are loaded once per super-block,
     * duplicated for both lane halves and pre-shifted for the upper one; each half then shifts by 4.
     * A row is taken in passes — values in low nibbles, in high nibbles, and the mins — each a method
     * of its own: as one loop the kernel exceeded C2's inlining budget and ran 3× slower.
     */
    private void integerMatvec(short[] planes, float[] activationScales, int[] sums32, float[] out, int outOffset, int rowStart, int rowEnd) {
        int blocks = cols / 256;
        for (int r = rowStart; r < rowEnd; r++) {
            long row = (long) r * blocks * BLOCK_BYTES;
            out[outOffset + r] = nibblesDot(row, blocks, planes, activationScales, false)
                    + nibblesDot(row, blocks, planes, activationScales, true)
                    - minsDot(row, blocks, activationScales, sums32);
        }
    }

    /** {@code Σ dmin·da·m_s·Σ a} over a row's sub-blocks. */
    private float minsDot(long row, int blocks, float[] activationScales, int[] sums32) {
        float sum = 0;
        long block = row;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            long mins = KQuantScales.minsOf(data.get(Layouts.INT, block + 8), data.get(Layouts.INT, block + 12));
            int minDot = 0;
            for (int k = 0; k < 8; k++) {
                minDot += (int) ((mins >>> (8 * k)) & 0xFF) * sums32[8 * b + k];
            }
            sum += Layouts.f16(data, block + 2) * activationScales[b] * minDot;
        }
        return sum;
    }

    /** {@code Σ d·da·sc_s·q·a} over the values in low ({@code high} false: sub-blocks 0, 2, 4, 6) or high nibbles. */
    private float nibblesDot(long row, int blocks, short[] planes, float[] activationScales, boolean high) {
        var s16 = S;
        int shift = high ? 4 : 0;
        int planeOffset = high ? 32 : 0;
        int highBitLeft = high ? 3 : 4;
        FloatVector acc = FloatVector.zero(IF);
        long block = row;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block) * activationScales[b];
            long scales = KQuantScales.scalesOf(data.get(Layouts.INT, block + 4), data.get(Layouts.INT, block + 12)) >>> (high ? 8 : 0);
            ShortVector qh = ((ShortVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_256, data, block + 16, ByteOrder.LITTLE_ENDIAN)
                    .reinterpretShape(s16, 0)).rearrange(DUPLICATE_LOWER_16);
            qh = qh.blend(qh.lanewise(VectorOperators.LSHR, 2), UPPER_16);
            for (int half = 0; half < 2; half++) {
                int p = 256 * b + 128 * half + planeOffset;
                ShortVector h = qh.lanewise(VectorOperators.LSHR, 4 * half);
                ShortVector w = ShortVector.fromMemorySegment(s16, data, block + 48 + 64L * half, ByteOrder.LITTLE_ENDIAN)
                        .lanewise(VectorOperators.LSHR, shift);
                // byte 2t's nibble with its fifth bit (bit 0 or 1 of h), byte 2t + 1's (bit 8 or 9)
                ShortVector products = w.and((short) 0xF).or(h.lanewise(VectorOperators.LSHL, highBitLeft).and((short) 0x10))
                        .mul(ShortVector.fromArray(s16, planes, p))
                        .add(w.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).or(h.lanewise(VectorOperators.LSHR, 8 - highBitLeft).and((short) 0x10))
                                .mul(ShortVector.fromArray(s16, planes, p + 64)));
                // sub-blocks 4·half (+1 for high nibbles) in lanes 0-7 and 2 above it in lanes 8-15
                float lower = d * (int) ((scales >>> (32 * half)) & 0xFF);
                float upper = d * (int) ((scales >>> (32 * half + 16)) & 0xFF);
                acc = IntegerKernels.pairSums(products).fma(IntegerKernels.halves(lower, upper), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
