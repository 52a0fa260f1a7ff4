package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_K: super-blocks of 256 as {@code f16 d, f16 dmin, 12 bytes of packed 6-bit scales/mins,
 * 128 bytes of nibbles}. Each 64 values share 32 bytes: low nibbles are the first 32, high nibbles
 * the next 32; value = d·scale·q - dmin·min per 32-value sub-block.
 */
public record Q4_KMatrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q4_K.bytesPerBlock();

    // Local constants: the JIT must see the species as constants in the kernel to keep vectors unboxed.
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Byte> B = VectorKernels.B;

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
            RowDequantizingMatrix.super.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        int blocks = cols / 256;
        int lanes = F.length();
        float[] xSums = VectorKernels.groupSums(x, xOffset, cols);
        // The super-block's eight scales and mins, decoded once before its vector loop so that
        // the loop holds only vector work.
        float[] scales = new float[8];
        float[] mins = new float[8];
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
                    scales[k] = d * KQuantScales.scale(low, high, k);
                    mins[k] = dmin * KQuantScales.min(low, high, k);
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
                    acc = lo.fma(FloatVector.broadcast(F, scales[2 * j]), acc);
                    acc = hi.fma(FloatVector.broadcast(F, scales[2 * j + 1]), acc);
                    minTerm += mins[2 * j] * xSums[8 * b + 2 * j] + mins[2 * j + 1] * xSums[8 * b + 2 * j + 1];
                }
            }
            out[outOffset + r] = acc.reduceLanes(VectorOperators.ADD) - minTerm;
        }
    }
}
