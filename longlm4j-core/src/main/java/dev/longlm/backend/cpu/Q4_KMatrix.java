package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_K: super-blocks of 256 as {@code f16 d, f16 dmin, 12 bytes of packed 6-bit scales/mins,
 * 128 bytes of nibbles}. Each 64 values share 32 bytes: low nibbles are the first 32, high nibbles
 * the next 32; value = d·scale·q - dmin·min per 32-value sub-block.
 */
public record Q4_KMatrix(MemorySegment data, int rows, int cols) implements IntegerMatvecMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q4_K.bytesPerBlock();

    // Local constants: the JIT must see the species as constants in the kernel to keep vectors unboxed.
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Byte> B = VectorKernels.B;
    private static final VectorSpecies<Short> S = IntegerKernels.S;
    private static final VectorSpecies<Float> IF = IntegerKernels.F;

    /** Activation order for {@link #matvec(QuantizedActivations, float[], int, int, int)}: 64 bytes hold two 64-value chunks. */
    static final LevelPlanes PLANES = LevelPlanes.nibbles("Q4_K", (byteIndex, high) -> 64 * (byteIndex / 32) + (high ? 32 : 0) + byteIndex % 32);

    public Q4_KMatrix {
        Layouts.check(GgmlType.Q4_K, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
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
            for (int j = 0; j < 4; j++) {
                long qs = block + 16 + 32L * j;
                int o = outOffset + b * 256 + 64 * j;
                float d1 = d * KQuantScales.scale(data, block + 4, 2 * j);
                float m1 = dmin * KQuantScales.min(data, block + 4, 2 * j);
                float d2 = d * KQuantScales.scale(data, block + 4, 2 * j + 1);
                float m2 = dmin * KQuantScales.min(data, block + 4, 2 * j + 1);
                for (int l = 0; l < 32; l += F.length()) {
                    ByteVector packed = ByteVector.fromMemorySegment(B, data, qs + l, ByteOrder.LITTLE_ENDIAN);
                    // mul then sub, never fused, as in ggml's d1 * q - m1
                    ((FloatVector) packed.and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d1).sub(m1).intoArray(out, o + l);
                    ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d2).sub(m2).intoArray(out, o + 32 + l);
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
            long qs = block + 16;
            int o = outOffset + b * 256;
            for (int j = 0; j < 4; j++, qs += 32, o += 64) {
                float d1 = d * KQuantScales.scale(data, block + 4, 2 * j);
                float m1 = dmin * KQuantScales.min(data, block + 4, 2 * j);
                float d2 = d * KQuantScales.scale(data, block + 4, 2 * j + 1);
                float m2 = dmin * KQuantScales.min(data, block + 4, 2 * j + 1);
                for (int l = 0; l < 32; l++) {
                    int q = data.get(Layouts.BYTE, qs + l) & 0xFF;
                    out[o + l] = d1 * (q & 0xF) - m1;
                    out[o + 32 + l] = d2 * (q >>> 4) - m2;
                }
            }
        }
    }

    /**
     * Fused kernel: per 32-value sub-block, {@code Σ (d·s·q - dmin·m)·x = d·s·Σ q·x - dmin·m·Σ x},
     * so the nibbles are widened and multiplied directly and the min term uses precomputed sums of x.
     */
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
        // The super-block's eight scales (0-7) and mins (8-15), decoded once before its vector loop
        // so that the loop holds only vector work.
        float[] scalesAndMins = scratch.blockScalesAndMins();
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(F);
            float minTerm = 0;
            for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
                float d = Layouts.f16(data, block);
                float dmin = Layouts.f16(data, block + 2);
                long low = data.get(Layouts.LONG, block + 4);
                int high = data.get(Layouts.INT, block + 12);
                for (int k = 0; k < 8; k++) {
                    scalesAndMins[k] = d * KQuantScales.scale(low, high, k);
                    scalesAndMins[8 + k] = dmin * KQuantScales.min(low, high, k);
                }
                for (int j = 0; j < 4; j++) {
                    long qs = block + 16 + 32L * j;
                    int xo = xOffset + b * 256 + 64 * j;
                    FloatVector lo = FloatVector.zero(F);
                    FloatVector hi = FloatVector.zero(F);
                    for (int l = 0; l < 32; l += lanes) {
                        ByteVector packed = ByteVector.fromMemorySegment(B, data, qs + l, ByteOrder.LITTLE_ENDIAN);
                        lo = ((FloatVector) packed.and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + l), lo);
                        hi = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0))
                                .fma(FloatVector.fromArray(F, x, xo + 32 + l), hi);
                    }
                    acc = lo.fma(FloatVector.broadcast(F, scalesAndMins[2 * j]), acc);
                    acc = hi.fma(FloatVector.broadcast(F, scalesAndMins[2 * j + 1]), acc);
                    minTerm += scalesAndMins[8 + 2 * j] * xSums[8 * b + 2 * j] + scalesAndMins[8 + 2 * j + 1] * xSums[8 * b + 2 * j + 1];
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
        return PLANES;
    }

    /**
     * Integer kernel against Q8_K levels a with scale da: per sub-block s of 32,
     * {@code Σ (d·sc_s·q − dmin·m_s)·a·da = d·da·sc_s·Σ q·a − dmin·da·m_s·Σ a}. Each 64-byte load of
     * nibbles is two 64-value chunks (four sub-blocks); the 6-bit scales and mins are unpacked with
     * ggml's 32-bit masks rather than one branchy lookup per sub-block.
     */
    @Override
    public void integerMatvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        integerMatvec(x.planes(PLANES), x.scales(), x.sums32(), out, outOffset, rowStart, rowEnd);
    }

    // Kept apart from the QuantizedActivations accessors: inlining those into the kernel used up
    // C2's inlining budget, left Vector API calls out of line and made it 2× slower.
    private void integerMatvec(short[] planes, float[] activationScales, int[] sums32, float[] out, int outOffset, int rowStart, int rowEnd) {
        var s16 = S;
        var f16 = IF;
        int blocks = cols / 256;
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(f16);
            float minTerm = 0;
            for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
                float d = Layouts.f16(data, block) * activationScales[b];
                float dmin = Layouts.f16(data, block + 2) * activationScales[b];
                int u0 = data.get(Layouts.INT, block + 4);
                int u1 = data.get(Layouts.INT, block + 8);
                int u2 = data.get(Layouts.INT, block + 12);
                long scales = KQuantScales.scalesOf(u0, u2);
                long mins = KQuantScales.minsOf(u1, u2);
                int minDot = 0;
                for (int k = 0; k < 8; k++) {
                    minDot += KQuantScales.unpacked(mins, k) * sums32[8 * b + k];
                }
                minTerm += dmin * minDot;
                for (int half = 0; half < 2; half++) {
                    int p = 256 * b + 128 * half;
                    ShortVector w = ShortVector.fromMemorySegment(s16, data, block + 16 + 64L * half, ByteOrder.LITTLE_ENDIAN);
                    ShortVector low = w.and((short) 0xF).mul(ShortVector.fromArray(s16, planes, p))
                            .add(w.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).mul(ShortVector.fromArray(s16, planes, p + 64)));
                    ShortVector high = w.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).mul(ShortVector.fromArray(s16, planes, p + 32))
                            .add(w.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromArray(s16, planes, p + 96)));
                    int sb = 4 * half; // low nibbles: sub-blocks sb, sb + 2; high nibbles: sb + 1, sb + 3
                    // IntegerKernels.pairSums written out (see IntegerKernels on why); scales of sub-blocks sb and sb + 2 in the lane halves
                    FloatVector lowSums = (FloatVector) low.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
                    FloatVector highSums = (FloatVector) high.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
                    acc = lowSums.fma(FloatVector.broadcast(f16, d * KQuantScales.unpacked(scales, sb)).blend(d * KQuantScales.unpacked(scales, sb + 2), IntegerKernels.UPPER_HALF), acc);
                    acc = highSums.fma(FloatVector.broadcast(f16, d * KQuantScales.unpacked(scales, sb + 1)).blend(d * KQuantScales.unpacked(scales, sb + 3), IntegerKernels.UPPER_HALF), acc);
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
