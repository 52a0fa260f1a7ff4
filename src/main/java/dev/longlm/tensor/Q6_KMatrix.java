package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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
}
