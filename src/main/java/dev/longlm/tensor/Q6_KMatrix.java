package dev.longlm.tensor;

import dev.longlm.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K: super-blocks of 256 as {@code 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 signed
 * 8-bit scales, f16 d}; value = d·scale·(q - 32) with one scale per 16 values. Each half of 128
 * values uses 64 low-nibble bytes and 32 high-bit bytes, four values per position l.
 */
public record Q6_KMatrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    private static final int BLOCK_BYTES = 210;

    public Q6_KMatrix {
        Layouts.check(GgmlType.Q6_K, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        int blocks = cols / 256;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block + 208);
            for (int half = 0; half < 2; half++) {
                long ql = block + 64L * half;
                long qh = block + 128 + 32L * half;
                long sc = block + 192 + 8L * half;
                int o = outOffset + b * 256 + 128 * half;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int low0 = data.get(Layouts.BYTE, ql + l) & 0xFF;
                    int low1 = data.get(Layouts.BYTE, ql + 32 + l) & 0xFF;
                    int h = data.get(Layouts.BYTE, qh + l) & 0xFF;
                    int q1 = ((low0 & 0xF) | ((h & 3) << 4)) - 32;
                    int q2 = ((low1 & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                    int q3 = ((low0 >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                    int q4 = ((low1 >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                    out[o + l] = d * data.get(Layouts.BYTE, sc + is) * q1;
                    out[o + 32 + l] = d * data.get(Layouts.BYTE, sc + is + 2) * q2;
                    out[o + 64 + l] = d * data.get(Layouts.BYTE, sc + is + 4) * q3;
                    out[o + 96 + l] = d * data.get(Layouts.BYTE, sc + is + 6) * q4;
                }
            }
        }
    }
}
