package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Plain 32-bit float weights. */
public record F32Matrix(MemorySegment data, int rows, int cols) implements WeightMatrix {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
            long base = (long) r * cols * 4;
            float sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += data.get(F32, base + 4L * c) * x[xOffset + c];
            }
            out[outOffset + r] = sum;
        }
    }
}
