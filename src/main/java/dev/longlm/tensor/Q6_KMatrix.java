package dev.longlm.tensor;

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
public record Q6_KMatrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q6_K.bytesPerBlock();

    // Local constants: the JIT must see the species as constants in the kernel to keep vectors unboxed.
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Byte> B = VectorKernels.B;
    private static final VectorSpecies<Short> S = IntegerKernels.S;
    private static final VectorSpecies<Float> IF = IntegerKernels.F;

    /** Activation order for the integer kernel: in each half's 64 low-nibble bytes, byte i holds value i (low) and i + 64 (high). */
    static final LevelPlanes PLANES = LevelPlanes.nibbles("Q6_K", (byteIndex, high) -> byteIndex + (high ? 64 : 0));

    // Integer kernel constants (see integerMatvec). Lane t < 16 covers low-nibble bytes 0-31 of a half,
    // lanes 16-31 bytes 32-63; both read the 2-bit highs of qh byte pair t mod 16, from different fields.
    private static final VectorShuffle<Short> DUPLICATE_LOWER_16 = VectorShuffle.fromOp(IntegerKernels.S, t -> t % 16);
    /** Lanes 16-31, whose values take the next 2-bit field of each qh byte (see halfDot). */
    private static final VectorMask<Short> UPPER_16 = VectorMask.fromLong(IntegerKernels.S, 0xFFFF0000L);

    /** After pair sums, float lane u holds values of 16-value group u / 4 of the low planes (4 + u / 4 of the high ones). */
    private static final VectorShuffle<Float> LOW_SCALES = VectorShuffle.fromOp(IntegerKernels.F, u -> u / 4);
    private static final VectorShuffle<Float> HIGH_SCALES = VectorShuffle.fromOp(IntegerKernels.F, u -> 4 + u / 4);

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
            RowDequantizingMatrix.super.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
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
            out[outOffset + r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    @Override
    public void prepare(QuantizedActivations x) {
        if (IntegerKernels.ENABLED && x.format() == ActivationFormat.Q8_K) {
            x.planes(PLANES);
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

    /**
     * Integer kernel against Q8_K levels a with scale da: {@code Σ d·sc_g·(q − 32)·a·da} over 16-value
     * groups g is {@code d·da·(Σ_g sc_g·Σ q·a − 32·Σ_g sc_g·Σ a)}, so the 6-bit values stay unsigned
     * (0-63), a 16-bit lane holds two products, and the −32 is applied once per group via the level sums.
     */
    void integerMatvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        integerMatvec(x.planes(PLANES), x.scales(), x.sums16(), out, outOffset, rowStart, rowEnd);
    }

    private void integerMatvec(short[] planes, float[] activationScales, int[] sums16, float[] out, int outOffset, int rowStart, int rowEnd) {
        int blocks = cols / 256;
        for (int r = rowStart; r < rowEnd; r++) {
            long row = (long) r * blocks * BLOCK_BYTES;
            out[outOffset + r] = lowNibblesDot(row, blocks, planes, activationScales)
                    + highNibblesDot(row, blocks, planes, activationScales)
                    - 32 * offsetDot(row, blocks, activationScales, sums16);
        }
    }

    /** {@code Σ_g d·da·sc_g·Σ a} over a row: the part of the −32 offset the unsigned values leave out. */
    private float offsetDot(long row, int blocks, float[] activationScales, int[] sums16) {
        FloatVector offset = FloatVector.zero(IF);
        long block = row;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            FloatVector scales = ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, data, block + 192, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, IF, 0)).mul(Layouts.f16(data, block + 208) * activationScales[b]);
            offset = scales.fma((FloatVector) IntVector.fromArray(IntVector.SPECIES_512, sums16, 16 * b).convert(VectorOperators.I2F, 0), offset);
        }
        return offset.reduceLanes(VectorOperators.ADD);
    }

    // The row is taken in two passes, the values in low nibbles and those in high nibbles, each a method
    // of its own: written as one loop the kernel exceeded C2's inlining budget and ran at half speed.
    // In each half (128 values) one 64-byte load of low nibbles covers bytes 0-31 in lanes 0-15 and
    // bytes 32-63 in lanes 16-31; both lane halves read the qh byte pair t mod 16 (duplicated), lanes
    // 16-31 from the next 2-bit field, which shifting them by 2 first turns into one uniform shift
    // (per-lane shift counts ran 3× slower).

    /** {@code Σ d·da·sc_g·q·a} over the values held in low nibbles (planes 0 and 2), q without its −32. */
    private float lowNibblesDot(long row, int blocks, short[] planes, float[] activationScales) {
        var s16 = S;
        FloatVector acc = FloatVector.zero(IF);
        long block = row;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float dd = Layouts.f16(data, block + 208) * activationScales[b];
            for (int half = 0; half < 2; half++) {
                ShortVector highs = highBits(block, half);
                ShortVector w = ShortVector.fromMemorySegment(s16, data, block + 64L * half, ByteOrder.LITTLE_ENDIAN);
                ShortVector first = w.and((short) 0xF).or(highs.lanewise(VectorOperators.LSHL, 4).and((short) 0x30));
                ShortVector second = w.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).or(highs.lanewise(VectorOperators.LSHR, 4).and((short) 0x30));
                int p = 256 * b + 128 * half;
                ShortVector products = first.mul(ShortVector.fromArray(s16, planes, p)).add(second.mul(ShortVector.fromArray(s16, planes, p + 64)));
                acc = IntegerKernels.pairSums(products).fma(halfScales(block, half, dd).rearrange(LOW_SCALES), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** {@code Σ d·da·sc_g·q·a} over the values held in high nibbles (planes 1 and 3), q without its −32. */
    private float highNibblesDot(long row, int blocks, short[] planes, float[] activationScales) {
        var s16 = S;
        FloatVector acc = FloatVector.zero(IF);
        long block = row;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float dd = Layouts.f16(data, block + 208) * activationScales[b];
            for (int half = 0; half < 2; half++) {
                ShortVector highs = highBits(block, half);
                ShortVector w = ShortVector.fromMemorySegment(s16, data, block + 64L * half, ByteOrder.LITTLE_ENDIAN);
                ShortVector first = w.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).or(highs.and((short) 0x30));
                ShortVector second = w.lanewise(VectorOperators.LSHR, 12).or(highs.lanewise(VectorOperators.LSHR, 8).and((short) 0x30));
                int p = 256 * b + 128 * half;
                ShortVector products = first.mul(ShortVector.fromArray(s16, planes, p + 32)).add(second.mul(ShortVector.fromArray(s16, planes, p + 96)));
                acc = IntegerKernels.pairSums(products).fma(halfScales(block, half, dd).rearrange(HIGH_SCALES), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** The half's 32 qh bytes as 16 lanes, duplicated into lanes 16-31 and those shifted to the next 2-bit field. */
    private ShortVector highBits(long block, int half) {
        ShortVector highs = ((ShortVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_256, data, block + 128 + 32L * half, ByteOrder.LITTLE_ENDIAN)
                .reinterpretShape(S, 0)).rearrange(DUPLICATE_LOWER_16);
        return highs.blend(highs.lanewise(VectorOperators.LSHR, 2), UPPER_16);
    }

    /** The half's eight group scales times {@code dd} in lanes 0-7. */
    private FloatVector halfScales(long block, int half, float dd) {
        return ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, data, block + 192 + 8L * half, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2F, IF, 0)).mul(dd);
    }
}
