package dev.longlm.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GgufWriterTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryValueTypeAndTensorData() throws IOException {
        byte[] q8 = new byte[2 * 34];
        for (int i = 0; i < q8.length; i++) {
            q8[i] = (byte) (i * 7);
        }
        float[] norm = {1.5f, -2f, 3.25f};
        GgufWriter w = new GgufWriter()
                .put("u8", GgufValue.of(GgufValueType.UINT8, 200))
                .put("i8", GgufValue.of(GgufValueType.INT8, -5))
                .put("u16", GgufValue.of(GgufValueType.UINT16, 60000))
                .put("i16", GgufValue.of(GgufValueType.INT16, -30000))
                .put("u32", GgufValue.uint32(123456))
                .put("i32", GgufValue.of(GgufValueType.INT32, -7))
                .put("f32", GgufValue.float32(0.5f))
                .put("bool", GgufValue.bool(true))
                .put("str", GgufValue.string("héllo"))
                .put("u64", GgufValue.of(GgufValueType.UINT64, 1L << 40))
                .put("i64", GgufValue.of(GgufValueType.INT64, -(1L << 40)))
                .put("f64", GgufValue.of(GgufValueType.FLOAT64, 2.5))
                .put("strs", GgufValue.strings("a", "", "ccc"))
                .put("floats", GgufValue.floats(1f, 2f))
                .put("ints", GgufValue.int32s(3, -4))
                .put("bytes", GgufValue.array(GgufValueType.UINT8, new int[]{1, 255}))
                .put("longs", GgufValue.array(GgufValueType.INT64, new long[]{5L, -6L}))
                .put("doubles", GgufValue.array(GgufValueType.FLOAT64, new double[]{0.25}))
                .put("bools", GgufValue.array(GgufValueType.BOOL, new boolean[]{true, false}))
                .put(GgufFile.ALIGNMENT_KEY, GgufValue.uint32(64))
                .addTensor("norm.weight", new long[]{3}, norm)
                .addTensor("blk.0.w", new long[]{32, 2}, GgmlType.Q8_0, GgufWriter.TensorData.of(q8));
        Path file = dir.resolve("all.gguf");
        w.write(file);

        try (GgufFile g = GgufFile.open(file)) {
            GgufMetadata m = g.metadata();
            assertEquals(3, g.version());
            assertEquals(200, m.getInt("u8"));
            assertEquals(-5, m.getInt("i8"));
            assertEquals(60000, m.getInt("u16"));
            assertEquals(-30000, m.getInt("i16"));
            assertEquals(123456, m.getInt("u32"));
            assertEquals(-7, m.getInt("i32"));
            assertEquals(0.5f, m.getFloat("f32"));
            assertEquals(true, m.getBoolean("bool", false));
            assertEquals("héllo", m.getString("str"));
            assertEquals(1L << 40, m.getLong("u64", 0));
            assertEquals(-(1L << 40), m.getLong("i64", 0));
            assertEquals(2.5, (Double) m.raw("f64").orElseThrow());
            assertArrayEquals(new String[]{"a", "", "ccc"}, m.getStrings("strs").orElseThrow());
            assertArrayEquals(new float[]{1f, 2f}, m.getFloats("floats").orElseThrow());
            assertArrayEquals(new int[]{3, -4}, m.getInts("ints").orElseThrow());
            assertArrayEquals(new int[]{1, 255}, m.getInts("bytes").orElseThrow());
            assertArrayEquals(new long[]{5L, -6L}, (long[]) m.raw("longs").orElseThrow());
            assertArrayEquals(new double[]{0.25}, (double[]) m.raw("doubles").orElseThrow());
            assertArrayEquals(new boolean[]{true, false}, (boolean[]) m.raw("bools").orElseThrow());
            for (String key : m.keys()) {
                assertEquals(m.asMap().get(key).type(), w.get(key).type(), key);
            }

            assertEquals(List.of("norm.weight", "blk.0.w"), List.copyOf(g.tensors().keySet()));
            GgufTensorInfo t = g.tensor("blk.0.w");
            assertEquals(GgmlType.Q8_0, t.type());
            assertArrayEquals(new long[]{32, 2}, t.shape());
            assertEquals(0, t.offset() % 64);
            assertArrayEquals(q8, g.data(t).toArray(ValueLayout.JAVA_BYTE));
            float[] readNorm = g.data("norm.weight").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            assertArrayEquals(norm, readNorm);
        }
    }

    @Test
    void rejectsDataOfTheWrongSizeOrShape() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class,
                () -> w.addTensor("t", new long[]{32, 2}, GgmlType.Q8_0, GgufWriter.TensorData.of(new byte[34])));
        assertThrows(IllegalArgumentException.class,
                () -> w.addTensor("t", new long[]{48}, GgmlType.Q8_0, GgufWriter.TensorData.of(MemorySegment.ofArray(new byte[51]))));
    }
}
