package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_0: blocks of 32 as {@code f16 d, 16 bytes}; byte j holds element j in its low nibble and
 * element j + 16 in its high nibble; value = (q - 8)·d.
 */
public record Q4_0Matrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q4_0.bytesPerBlock();

    // Local constants: the JIT must see the species as constants in the kernel to keep vectors unboxed.
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Byte> B = VectorKernels.B;

    public Q4_0Matrix {
        Layouts.check(GgmlType.Q4_0, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
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
            for (int j = 0; j < 16; j += F.length()) {
                ByteVector packed = ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ((FloatVector) packed.and((byte) 0xF).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d).intoArray(out, o + j);
                ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).sub((byte) 8)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, o + 16 + j);
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
            for (int j = 0; j < 16; j++) {
                int q = data.get(Layouts.BYTE, block + 2 + j) & 0xFF;
                out[o + j] = ((q & 0xF) - 8) * d;
                out[o + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    @Override
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        if (!VectorKernels.FUSED) {
            RowDequantizingMatrix.super.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        int blocks = cols / 32;
        int lanes = F.length();
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
                int xo = xOffset + b * 32;
                FloatVector blockSum = FloatVector.zero(F);
                for (int j = 0; j < 16; j += lanes) {
                    ByteVector packed = ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = packed.and((byte) 0xF).sub((byte) 8);
                    ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).sub((byte) 8);
                    FloatVector loF = (FloatVector) lo.convertShape(VectorOperators.B2F, F, 0);
                    FloatVector hiF = (FloatVector) hi.convertShape(VectorOperators.B2F, F, 0);
                    blockSum = loF.fma(FloatVector.fromArray(F, x, xo + j), blockSum);
                    blockSum = hiF.fma(FloatVector.fromArray(F, x, xo + 16 + j), blockSum);
                }
                acc = blockSum.fma(FloatVector.broadcast(F, Layouts.f16(data, block)), acc);
            }
            out[outOffset + r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }
}
