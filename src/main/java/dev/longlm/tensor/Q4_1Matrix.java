package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/** Q4_1: blocks of 32 as {@code f16 d, f16 m, 16 bytes of nibbles}; value = q·d + m. */
public record Q4_1Matrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q4_1.bytesPerBlock();

    public Q4_1Matrix {
        Layouts.check(GgmlType.Q4_1, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_1;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        int blocks = cols / 32;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            float m = Layouts.f16(data, block + 2);
            int o = outOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = data.get(Layouts.BYTE, block + 4 + j) & 0xFF;
                out[o + j] = (q & 0xF) * d + m;
                out[o + j + 16] = (q >>> 4) * d + m;
            }
        }
    }
}
