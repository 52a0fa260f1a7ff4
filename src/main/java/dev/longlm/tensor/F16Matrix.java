package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/** IEEE half-precision weights. */
public record F16Matrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    public F16Matrix {
        Layouts.check(GgmlType.F16, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long base = (long) row * cols * 2;
        for (int c = 0; c < cols; c++) {
            out[outOffset + c] = Layouts.f16(data, base + 2L * c);
        }
    }
}
