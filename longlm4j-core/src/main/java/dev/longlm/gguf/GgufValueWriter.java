package dev.longlm.gguf;

import java.io.IOException;

/** Encodes one {@link GgufValue} (type tag and payload) in GGUF's little-endian layout. */
final class GgufValueWriter {
    private GgufValueWriter() {
    }

    static void write(GgufWriter.Output out, String key, GgufValue v) throws IOException {
        out.i32(v.type().id());
        if (v.type() == GgufValueType.ARRAY) {
            GgufValueType elem = v.elementType();
            if (elem == null || elem == GgufValueType.ARRAY) {
                throw new IllegalArgumentException("metadata '" + key + "': array needs a scalar element type");
            }
            out.i32(elem.id());
            Object a = v.value();
            switch (a) {
                case String[] s -> {
                    out.i64(s.length);
                    for (String e : s) {
                        out.string(e);
                    }
                }
                case int[] s -> {
                    out.i64(s.length);
                    for (int e : s) {
                        scalar(out, key, elem, e);
                    }
                }
                case long[] s -> {
                    out.i64(s.length);
                    for (long e : s) {
                        scalar(out, key, elem, e);
                    }
                }
                case float[] s -> {
                    out.i64(s.length);
                    for (float e : s) {
                        scalar(out, key, elem, e);
                    }
                }
                case double[] s -> {
                    out.i64(s.length);
                    for (double e : s) {
                        scalar(out, key, elem, e);
                    }
                }
                case boolean[] s -> {
                    out.i64(s.length);
                    for (boolean e : s) {
                        scalar(out, key, elem, e);
                    }
                }
                default -> throw new IllegalArgumentException("metadata '" + key + "': unsupported array " + a.getClass());
            }
        } else {
            scalar(out, key, v.type(), v.value());
        }
    }

    private static void scalar(GgufWriter.Output out, String key, GgufValueType type, Object value) throws IOException {
        try {
            switch (type) {
                case UINT8, INT8 -> out.i8(((Number) value).intValue());
                case UINT16, INT16 -> out.i16(((Number) value).intValue());
                case UINT32, INT32 -> out.i32(((Number) value).intValue());
                case UINT64, INT64 -> out.i64(((Number) value).longValue());
                case FLOAT32 -> out.f32(((Number) value).floatValue());
                case FLOAT64 -> out.f64(((Number) value).doubleValue());
                case BOOL -> out.i8((Boolean) value ? 1 : 0);
                case STRING -> out.string((String) value);
                default -> throw new IllegalArgumentException("metadata '" + key + "': nested array");
            }
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("metadata '" + key + "': value " + value + " does not fit type " + type, e);
        }
    }
}
