package dev.longlm.tensor;

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
