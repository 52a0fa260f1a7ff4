package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Our dequantization and quantization against ggml's own output (see {@link GoldenQuant}). */
class GoldenQuantTest {
    static GgmlType[] types() {
        return GoldenQuant.TYPES;
    }

    @ParameterizedTest
    @MethodSource("types")
    void dequantizeRowIsBitIdenticalToGgml(GgmlType type) {
        GoldenQuant g = GoldenQuant.load(type);
        WeightMatrix m = WeightMatrices.of(type, MemorySegment.ofArray(g.quantized()), GoldenQuant.ROWS, GoldenQuant.COLS);
        float[] row = new float[GoldenQuant.COLS];
        for (int r = 0; r < GoldenQuant.ROWS; r++) {
            m.dequantizeRow(r, row, 0);
            for (int c = 0; c < GoldenQuant.COLS; c++) {
                float expected = g.dequantized()[r * GoldenQuant.COLS + c];
                if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(row[c])) {
                    fail(type + " row " + r + " col " + c + ": ggml " + expected + ", ours " + row[c]);
                }
            }
        }
    }

    /** The scalar forms used where the vector width does not suit the fused kernels. */
    @ParameterizedTest
    @MethodSource("types")
    void scalarDequantizeRowIsBitIdenticalToGgml(GgmlType type) {
        GoldenQuant g = GoldenQuant.load(type);
        MemorySegment data = MemorySegment.ofArray(g.quantized());
        int rows = GoldenQuant.ROWS;
        int cols = GoldenQuant.COLS;
        float[] all = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            switch (type) {
                case Q8_0 -> new Q8_0Matrix(data, rows, cols).dequantizeRowScalar(r, all, r * cols);
                case Q4_0 -> new Q4_0Matrix(data, rows, cols).dequantizeRowScalar(r, all, r * cols);
                case Q4_K -> new Q4_KMatrix(data, rows, cols).dequantizeRowScalar(r, all, r * cols);
                case Q5_K -> new Q5_KMatrix(data, rows, cols).dequantizeRowScalar(r, all, r * cols);
                case Q6_K -> new Q6_KMatrix(data, rows, cols).dequantizeRowScalar(r, all, r * cols);
                default -> WeightMatrices.of(type, data, rows, cols).dequantizeRow(r, all, r * cols);
            }
        }
        for (int i = 0; i < all.length; i++) {
            if (Float.floatToRawIntBits(all[i]) != Float.floatToRawIntBits(g.dequantized()[i])) {
                fail(type + " value " + i + ": ggml " + g.dequantized()[i] + ", ours " + all[i]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void quantizeIsByteIdenticalToGgml(GgmlType type) {
        GoldenQuant g = GoldenQuant.load(type);
        byte[] ours = Quantizer.quantize(type, g.input());
        assertEquals(g.quantized().length, ours.length, "size");
        for (int i = 0; i < ours.length; i++) {
            if (ours[i] != g.quantized()[i]) {
                int block = i / type.bytesPerBlock();
                fail(type + " byte " + i + " (block " + block + ", byte " + i % type.bytesPerBlock() + " in block): ggml "
                        + (g.quantized()[i] & 0xFF) + ", ours " + (ours[i] & 0xFF));
            }
        }
    }
}
