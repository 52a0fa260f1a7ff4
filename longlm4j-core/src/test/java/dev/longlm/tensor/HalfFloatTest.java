package dev.longlm.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Edge cases of the 16-bit conversions that the golden fixtures (ordinary values) do not reach. */
class HalfFloatTest {
    @Test
    void f16RoundTripsEveryNonNaNValue() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloat.f16ToF32((short) h);
            if (!Float.isNaN(f)) {
                assertEquals(h, HalfFloat.f32ToF16(f) & 0xFFFF, "half 0x" + Integer.toHexString(h));
            }
        }
    }

    @Test
    void f16RoundsToNearestEvenAndSaturatesToInfinity() {
        assertEquals(0x3C00, HalfFloat.f32ToF16(1f + 0x1p-11f) & 0xFFFF); // tie, rounds to even
        assertEquals(0x3C02, HalfFloat.f32ToF16(1f + 3 * 0x1p-11f) & 0xFFFF); // tie, rounds up to even
        assertEquals(0x7BFF, HalfFloat.f32ToF16(65504f) & 0xFFFF);
        assertEquals(0x7C00, HalfFloat.f32ToF16(65520f) & 0xFFFF);
        assertEquals(0x0001, HalfFloat.f32ToF16(0x1p-24f) & 0xFFFF); // smallest subnormal
    }

    @Test
    void nanBecomesGgmlsQuietNaN() {
        assertEquals(0x7E00, HalfFloat.f32ToF16(Float.NaN) & 0xFFFF);
        assertEquals(0xFE00, HalfFloat.f32ToF16(Float.intBitsToFloat(0xFF800001)) & 0xFFFF);
        assertEquals(0x7FC0, HalfFloat.f32ToBf16(Float.intBitsToFloat(0x7F800001)) & 0xFFFF);
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals(0x3F80, HalfFloat.f32ToBf16(Float.intBitsToFloat(0x3F808000)) & 0xFFFF);
        assertEquals(0x3F82, HalfFloat.f32ToBf16(Float.intBitsToFloat(0x3F818000)) & 0xFFFF);
        assertEquals(0x3F81, HalfFloat.f32ToBf16(Float.intBitsToFloat(0x3F808001)) & 0xFFFF);
        assertEquals(-2.5f, HalfFloat.bf16ToF32(HalfFloat.f32ToBf16(-2.5f)));
    }
}
