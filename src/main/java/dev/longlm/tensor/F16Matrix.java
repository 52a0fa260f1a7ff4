package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** IEEE half-precision weights. */
public record F16Matrix(MemorySegment data, int rows, int cols) implements WeightMatrix {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long base = (long) row * cols * 2;
        for (int c = 0; c < cols; c++) {
            out[outOffset + c] = Float.float16ToFloat(data.get(F16, base + 2L * c));
        }
    }

    @Override
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        for (int r = rowStart; r < rowEnd; r++) {
            long base = (long) r * cols * 2;
            float sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Float.float16ToFloat(data.get(F16, base + 2L * c)) * x[xOffset + c];
            }
            out[outOffset + r] = sum;
        }
    }
}
