package dev.longlm.backend.cpu;

import dev.longlm.tensor.HalfFloat;
import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** bfloat16 weights: each value is the upper half of a float, widened with a 16-bit shift. */
public record Bf16Matrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * 16));

    public Bf16Matrix {
        Layouts.check(GgmlType.BF16, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long base = (long) row * cols * 2;
        int lanes = F.length();
        int c = 0;
        for (; c <= cols - lanes; c += lanes) {
            load(base + 2L * c).intoArray(out, outOffset + c);
        }
        for (; c < cols; c++) {
            out[outOffset + c] = HalfFloat.bf16ToF32(data.get(Layouts.SHORT, base + 2L * c));
        }
    }

    @Override
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        int lanes = F.length();
        if (lanes > 16) { // the sum below is written out for up to 16 lanes
            RowDequantizingMatrix.super.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        for (int r = rowStart; r < rowEnd; r++) {
            long base = (long) r * cols * 2;
            FloatVector acc = FloatVector.zero(F);
            int c = 0;
            for (; c <= cols - lanes; c += lanes) {
                acc = load(base + 2L * c).fma(FloatVector.fromArray(F, x, xOffset + c), acc);
            }
            // LaneSum's order, written out (see the integer kernels)
            if (lanes == 16) {
                acc = acc.add(acc.rearrange(LaneSum.PREFERRED_8));
            }
            if (lanes >= 8) {
                acc = acc.add(acc.rearrange(LaneSum.PREFERRED_4));
            }
            if (lanes >= 4) {
                acc = acc.add(acc.rearrange(LaneSum.PREFERRED_2));
            }
            float sum = acc.add(acc.rearrange(LaneSum.PREFERRED_1)).lane(0);
            for (; c < cols; c++) {
                sum += HalfFloat.bf16ToF32(data.get(Layouts.SHORT, base + 2L * c)) * x[xOffset + c];
            }
            out[outOffset + r] = sum;
        }
    }

    private FloatVector load(long offset) {
        return ((IntVector) ShortVector.fromMemorySegment(S, data, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
