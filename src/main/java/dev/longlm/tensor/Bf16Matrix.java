package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/** bfloat16 weights. */
public record Bf16Matrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
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
        for (int c = 0; c < cols; c++) {
            out[outOffset + c] = HalfFloat.bf16ToF32(data.get(Layouts.SHORT, base + 2L * c));
        }
    }
}
