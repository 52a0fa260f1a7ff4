package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q6_K: super-blocks of 256 as {@code 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 signed
 * 8-bit scales, f16 d}; value = d·scale·(q - 32) with one scale per 16 values. Each half of 128
 * values uses 64 low-nibble bytes and 32 high-bit bytes, four values per position l.
 */
public record Q6_KMatrix(MemorySegment data, int rows, int cols) implements IntegerMatvecMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q6_K.bytesPerBlock();

    // Local constants: the JIT must see the species as constants in the kernel to keep vectors unboxed.
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Byte> B = VectorKernels.B;
    private static final VectorSpecies<Short> S = IntegerKernels.S;
    private static final VectorSpecies<Float> IF = IntegerKernels.F;

    /**
     * Activation order for the integer kernel. Each pass p (0, 1) over a super-block takes low-nibble
     * bytes 32p-32p+31 of both halves in one 64-byte vector, half 0 in lanes 0-15, half 1 in lanes
     * 16-31, so that the 64 qh bytes line up with it as loaded; plane k of the pass holds, per lane t,
     * the nibble k of that lane (low/high nibble of its first/second byte).
     */
    static final LevelPlanes PLANES = new LevelPlanes("Q6_K", 256, planeOrder());

    /** Lanes 16-31 of a pass's low-nibble vector come from the second 64-byte load (half 1's bytes). */
    private static final VectorMask<Short> UPPER_16 = VectorMask.fromLong(S, 0xFFFF0000L);
    /** After pair sums, float lane u holds 16-value group u / 4 (u < 8) or 8 + (u − 8) / 4 of the low planes; the high planes' are 4 above. */
    private static final VectorShuffle<Float> LOW_SCALES = VectorShuffle.fromOp(IF, u -> u < 8 ? u / 4 : 8 + (u - 8) / 4);
    private static final VectorShuffle<Float> HIGH_SCALES = VectorShuffle.fromOp(IF, u -> 4 + (u < 8 ? u / 4 : 8 + (u - 8) / 4));
    /** The second pass's groups are 2 above the first's. */
    private static final VectorShuffle<Float> NEXT_PASS = VectorShuffle.fromOp(IF, u -> (u + 2) % 16);

    private static int[] planeOrder() {
        int[] order = new int[256];
        for (int pass = 0; pass < 2; pass++) {
            for (int plane = 0; plane < 4; plane++) {
                for (int t = 0; t < 32; t++) {
                    int half = t / 16;
                    int byteInHalf = 32 * pass + 2 * (t % 16) + (plane >= 2 ? 1 : 0);
                    order[128 * pass + 32 * plane + t] = 128 * half + byteInHalf + (plane % 2 == 1 ? 64 : 0);
                }
            }
        }
        return order;
    }

    public Q6_KMatrix {
        Layouts.check(GgmlType.Q6_K, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
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
            float d = Layouts.f16(data, block + 208);
            for (int half = 0; half < 2; half++) {
                long ql = block + 64L * half;
                long qh = block + 128 + 32L * half;
                long sc = block + 192 + 8L * half;
                int o = outOffset + b * 256 + 128 * half;
                for (int l = 0; l < 32; l += F.length()) {
                    int is = l / 16;
                    ByteVector a = ByteVector.fromMemorySegment(B, data, ql + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector c = ByteVector.fromMemorySegment(B, data, ql + 32 + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector h = ByteVector.fromMemorySegment(B, data, qh + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector q1 = a.and((byte) 0xF).or(h.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q2 = c.and((byte) 0xF)
                            .or(h.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q3 = a.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF)
                            .or(h.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q4 = c.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF)
                            .or(h.lanewise(VectorOperators.LSHR, 6).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    // ggml computes (d * scale) * q; the product d * scale is formed first here too
                    ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).mul(d * data.get(Layouts.BYTE, sc + is)).intoArray(out, o + l);
                    ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 0)).mul(d * data.get(Layouts.BYTE, sc + is + 2)).intoArray(out, o + 32 + l);
                    ((FloatVector) q3.convertShape(VectorOperators.B2F, F, 0)).mul(d * data.get(Layouts.BYTE, sc + is + 4)).intoArray(out, o + 64 + l);
                    ((FloatVector) q4.convertShape(VectorOperators.B2F, F, 0)).mul(d * data.get(Layouts.BYTE, sc + is + 6)).intoArray(out, o + 96 + l);
                }
            }
        }
    }

    /** The plain per-value form of {@link #dequantizeRow}, for lane widths without fused kernels (tested directly). */
    void dequantizeRowScalar(int row, float[] out, int outOffset) {
        int blocks = cols / 256;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block + 208);
            for (int half = 0; half < 2; half++) {
                long ql = block + 64L * half;
                long qh = block + 128 + 32L * half;
                long sc = block + 192 + 8L * half;
                int o = outOffset + b * 256 + 128 * half;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int low0 = data.get(Layouts.BYTE, ql + l) & 0xFF;
                    int low1 = data.get(Layouts.BYTE, ql + 32 + l) & 0xFF;
                    int h = data.get(Layouts.BYTE, qh + l) & 0xFF;
                    int q1 = ((low0 & 0xF) | ((h & 3) << 4)) - 32;
                    int q2 = ((low1 & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                    int q3 = ((low0 >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                    int q4 = ((low1 >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                    out[o + l] = d * data.get(Layouts.BYTE, sc + is) * q1;
                    out[o + 32 + l] = d * data.get(Layouts.BYTE, sc + is + 2) * q2;
                    out[o + 64 + l] = d * data.get(Layouts.BYTE, sc + is + 4) * q3;
                    out[o + 96 + l] = d * data.get(Layouts.BYTE, sc + is + 6) * q4;
                }
            }
        }
    }

    /**
     * Fused kernel: the four 6-bit values at each position l are assembled in byte lanes, widened,
     * multiplied by x and folded in with their 16-value group's scale (a lane group of 8 or 16
     * never straddles two groups).
     */
    @Override
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        if (!VectorKernels.FUSED) {
            IntegerMatvecMatrix.super.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        int blocks = cols / 256;
        int lanes = F.length();
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
                float d = Layouts.f16(data, block + 208);
                for (int half = 0; half < 2; half++) {
                    long ql = block + 64L * half;
                    long qh = block + 128 + 32L * half;
                    long sc = block + 192 + 8L * half;
                    int xo = xOffset + b * 256 + 128 * half;
                    for (int l = 0; l < 32; l += lanes) {
                        int is = l / 16;
                        ByteVector a = ByteVector.fromMemorySegment(B, data, ql + l, ByteOrder.LITTLE_ENDIAN);
                        ByteVector c = ByteVector.fromMemorySegment(B, data, ql + 32 + l, ByteOrder.LITTLE_ENDIAN);
                        ByteVector h = ByteVector.fromMemorySegment(B, data, qh + l, ByteOrder.LITTLE_ENDIAN);
                        ByteVector q1 = a.and((byte) 0xF).or(h.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                        ByteVector q2 = c.and((byte) 0xF)
                                .or(h.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                        ByteVector q3 = a.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF)
                                .or(h.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                        ByteVector q4 = c.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF)
                                .or(h.lanewise(VectorOperators.LSHR, 6).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                        acc = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + l))
                                .fma(FloatVector.broadcast(F, d * data.get(Layouts.BYTE, sc + is)), acc);
                        acc = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + 32 + l))
                                .fma(FloatVector.broadcast(F, d * data.get(Layouts.BYTE, sc + is + 2)), acc);
                        acc = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + 64 + l))
                                .fma(FloatVector.broadcast(F, d * data.get(Layouts.BYTE, sc + is + 4)), acc);
                        acc = ((FloatVector) q4.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + 96 + l))
                                .fma(FloatVector.broadcast(F, d * data.get(Layouts.BYTE, sc + is + 6)), acc);
                    }
                }
            }
            // LaneSum's order, written out (see the integer kernel); FUSED means 8 or 16 lanes
            if (lanes == 16) {
                acc = acc.add(acc.rearrange(LaneSum.PREFERRED_8));
            }
            acc = acc.add(acc.rearrange(LaneSum.PREFERRED_4));
            acc = acc.add(acc.rearrange(LaneSum.PREFERRED_2));
            out[outOffset + r] = acc.add(acc.rearrange(LaneSum.PREFERRED_1)).lane(0);
        }
    }

    @Override
    public LevelPlanes levelPlanes() {
        return PLANES;
    }

    /**
     * Integer kernel against Q8_K levels a with scale da: {@code Σ d·sc_g·(q − 32)·a·da} over 16-value
     * groups g is {@code d·da·(Σ_g sc_g·Σ q·a − 32·Σ_g sc_g·Σ a)}, so the 6-bit values stay unsigned
     * (0-63), a 16-bit lane holds two products, and the −32 is applied once per group via the level sums.
     */
    @Override
    public void integerMatvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        integerMatvec(x.planes(PLANES), x.scales(), x.sums16(), out, outOffset, rowStart, rowEnd);
    }

    private void integerMatvec(short[] planes, float[] activationScales, int[] sums16, float[] out, int outOffset, int rowStart, int rowEnd) {
        var s16 = S;
        int blocks = cols / 256;
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(IF);
            FloatVector offset = FloatVector.zero(IF);
            for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
                FloatVector scales = ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, data, block + 192, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, IF, 0)).mul(Layouts.f16(data, block + 208) * activationScales[b]);
                offset = scales.fma((FloatVector) IntVector.fromArray(IntVector.SPECIES_512, sums16, 16 * b).convert(VectorOperators.I2F, 0), offset);
                ShortVector qh = ShortVector.fromMemorySegment(s16, data, block + 128, ByteOrder.LITTLE_ENDIAN);
                for (int pass = 0; pass < 2; pass++) {
                    ShortVector w = ShortVector.fromMemorySegment(s16, data, block + 32L * pass, ByteOrder.LITTLE_ENDIAN)
                            .blend(ShortVector.fromMemorySegment(s16, data, block + 32L * pass + 32, ByteOrder.LITTLE_ENDIAN), UPPER_16);
                    // the pass's 2-bit fields (0 and 2, or 1 and 3) moved to bits 0-1 and 4-5 of each byte
                    ShortVector highs = qh.lanewise(VectorOperators.LSHR, 2 * pass);
                    ShortVector q0 = w.and((short) 0xF).or(highs.lanewise(VectorOperators.LSHL, 4).and((short) 0x30));
                    ShortVector q1 = w.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).or(highs.and((short) 0x30));
                    ShortVector q2 = w.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).or(highs.lanewise(VectorOperators.LSHR, 4).and((short) 0x30));
                    ShortVector q3 = w.lanewise(VectorOperators.LSHR, 12).or(highs.lanewise(VectorOperators.LSHR, 8).and((short) 0x30));
                    int p = 256 * b + 128 * pass;
                    ShortVector low = q0.mul(ShortVector.fromArray(s16, planes, p)).add(q2.mul(ShortVector.fromArray(s16, planes, p + 64)));
                    ShortVector high = q1.mul(ShortVector.fromArray(s16, planes, p + 32)).add(q3.mul(ShortVector.fromArray(s16, planes, p + 96)));
                    // IntegerKernels.pairSums, written out (see IntegerKernels on why)
                    acc = ((FloatVector) low.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .fma(scales.rearrange(LOW_SCALES), acc);
                    acc = ((FloatVector) high.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .fma(scales.rearrange(HIGH_SCALES), acc);
                    scales = scales.rearrange(NEXT_PASS);
                }
            }
            // LaneSum's order for acc and for offset, written out (past C2's inlining budget a call here
            // would stay out of line) and folded side by side: the first step leaves acc's pair sums in
            // lanes 0-7 and offset's in lanes 8-15, and the later steps keep each half to itself, so
            // lane 0 ends as LaneSum of acc and lane 8 as LaneSum of offset. Summing acc − 32·offset
            // lane by lane instead would round differently.
            FloatVector both = acc.blend(offset, IntegerKernels.UPPER_HALF)
                    .add(offset.blend(acc, IntegerKernels.UPPER_HALF).rearrange(LaneSum.WIDE_8));
            both = both.add(both.rearrange(LaneSum.WIDE_4));
            both = both.add(both.rearrange(LaneSum.WIDE_2));
            both = both.add(both.rearrange(LaneSum.WIDE_1));
            out[outOffset + r] = both.lane(0) - 32 * both.lane(8);
        }
    }
}
