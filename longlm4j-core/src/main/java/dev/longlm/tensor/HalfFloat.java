package dev.longlm.tensor;

/**
 * Conversions between float and the two 16-bit float formats stored in GGUF files, bit-identical
 * to ggml's {@code GGML_FP16_TO_FP32}, {@code GGML_FP32_TO_FP16} and the bf16 pair.
 */
public final class HalfFloat {
    private HalfFloat() {
    }

    /** IEEE binary16 to float (exact). */
    public static float f16ToF32(short bits) {
        return Float.float16ToFloat(bits);
    }

    /**
     * Float to IEEE binary16, rounding to nearest even. ggml maps every NaN to the quiet NaN 0x7E00
     * (keeping the sign) where Java would keep payload bits, so NaN is handled here.
     */
    public static short f32ToF16(float value) {
        if (Float.isNaN(value)) {
            return (short) (((Float.floatToRawIntBits(value) >>> 16) & 0x8000) | 0x7E00);
        }
        return Float.floatToFloat16(value);
    }

    /** bfloat16 to float (exact: bf16 is the upper half of a float). */
    public static float bf16ToF32(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Float to bfloat16, rounding to nearest even and forcing NaN quiet, as ggml does. */
    public static short f32ToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7FFF + ((bits >>> 16) & 1))) >>> 16);
    }
}
