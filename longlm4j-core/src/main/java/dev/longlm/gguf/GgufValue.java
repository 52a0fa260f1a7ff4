package dev.longlm.gguf;

/**
 * One metadata value with its on-disk type, so that a file can be rewritten unchanged.
 * Scalars are held as Integer (8 to 32-bit integers; UINT32 too), Long (64-bit), Float, Double,
 * Boolean or String; arrays as int[], long[], float[], double[], boolean[] or String[], with
 * {@code elementType} naming the on-disk element type.
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public static GgufValue of(GgufValueType type, Object value) {
        return new GgufValue(type, null, value);
    }

    public static GgufValue array(GgufValueType elementType, Object values) {
        return new GgufValue(GgufValueType.ARRAY, elementType, values);
    }

    public static GgufValue string(String s) {
        return of(GgufValueType.STRING, s);
    }

    public static GgufValue uint32(int v) {
        return of(GgufValueType.UINT32, v);
    }

    public static GgufValue float32(float v) {
        return of(GgufValueType.FLOAT32, v);
    }

    public static GgufValue bool(boolean v) {
        return of(GgufValueType.BOOL, v);
    }

    public static GgufValue strings(String... values) {
        return array(GgufValueType.STRING, values);
    }

    public static GgufValue floats(float... values) {
        return array(GgufValueType.FLOAT32, values);
    }

    public static GgufValue int32s(int... values) {
        return array(GgufValueType.INT32, values);
    }
}
