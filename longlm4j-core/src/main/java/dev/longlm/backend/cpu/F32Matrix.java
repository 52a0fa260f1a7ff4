package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Plain 32-bit float weights; matvec reads the mapping directly with vector loads. */
public record F32Matrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    static final ValueLayout.OfFloat F32 = Layouts.FLOAT;

    public F32Matrix {
        Layouts.check(GgmlType.F32, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        MemorySegment.copy(data, F32, (long) row * cols * 4, out, outOffset, cols);
    }

    @Override
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOffset + r] = VectorKernels.dot(data, (long) r * cols * 4, x, xOffset, cols);
        }
    }
}
