package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** Q8_0: blocks of 32 as {@code f16 d, 32 signed bytes}; value = q·d. */
public record Q8_0Matrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q8_0.bytesPerBlock();

    // Local constants: the JIT must see the species as constants in the kernel to keep vectors unboxed.
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Byte> B = VectorKernels.B;

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
                for (int j = 0; j < 32; j += lanes) {
                    FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2F, F, 0);
                    blockSum = q.fma(FloatVector.fromArray(F, x, xo + j), blockSum);
                }
                acc = blockSum.fma(FloatVector.broadcast(F, Layouts.f16(data, block)), acc);
            }
            out[outOffset + r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }
}
