package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * Golden fixtures written by tools/golden/ggml_quant_fixtures.c from ggml itself: 5 input rows of
 * 512 floats, and for each type ggml's quantized bytes and ggml's dequantization of them.
 */
public record GoldenQuant(GgmlType type, float[] input, byte[] quantized, float[] dequantized) {
    public static final int ROWS = 5;
    public static final int COLS = 512;

    public static final GgmlType[] TYPES = {GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
            GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};

    public static GoldenQuant load(GgmlType type) {
        String name = type.name().toLowerCase(Locale.ROOT);
        return new GoldenQuant(type, floats(read("input.f32")), read(name + ".bin"), floats(read(name + ".deq.f32")));
    }

    private static byte[] read(String file) {
        String resource = "/golden/quant/" + file;
        try (InputStream in = GoldenQuant.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource + "; run tools/golden/make-quant-fixtures.sh");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static float[] floats(byte[] bytes) {
        float[] out = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
