package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0: blocks of 32 as {@code f16 d, u32 high bits, 16 bytes of low nibbles}; value = (q - 16)·d,
 * with bit j of the high word the fifth bit of element j.
 */
public record Q5_0Matrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q5_0.bytesPerBlock();

    public Q5_0Matrix {
        Layouts.check(GgmlType.Q5_0, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        int blocks = cols / 32;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            int qh = data.get(Layouts.INT, block + 2);
            int o = outOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = data.get(Layouts.BYTE, block + 6 + j) & 0xFF;
                int lo = (q & 0xF) | (((qh >>> j) << 4) & 0x10);
                int hi = (q >>> 4) | ((qh >>> (j + 12)) & 0x10);
                out[o + j] = (lo - 16) * d;
                out[o + j + 16] = (hi - 16) * d;
            }
        }
    }
}
