package dev.longlm.backend.cpu;

import dev.longlm.tensor.HalfFloat;

/**
 * GELU (tanh approximation, what Gemma and Phi-2 were trained with), evaluated as llama.cpp's CPU
 * backend does: the input rounded to f16 and the result read from a table of f16 values, except
 * that inputs of 10 or more are returned unchanged and inputs of −10 or less give 0 (GELU differs
 * from those by less than 1e-21 there). The rounding (≈5e-4 relative) is far below the weights'
 * quantization error, and following it keeps logits equal to llama.cpp's; the table also makes
 * the activation a single load.
 */
final class Gelu {
    private static final float[] TABLE = table();

    private Gelu() {
    }

    static float apply(float x) {
        if (x <= -10f) {
            return 0f;
        }
        if (x >= 10f) {
            return x;
        }
        return TABLE[HalfFloat.f32ToF16(x) & 0xFFFF];
    }

    static float exact(float x) {
        final float sqrtTwoOverPi = 0.7978845608f;
        return 0.5f * x * (1f + (float) Math.tanh(sqrtTwoOverPi * x * (1f + 0.044715f * x * x)));
    }

    private static float[] table() {
        float[] t = new float[1 << 16];
        for (int bits = 0; bits < t.length; bits++) {
            t[bits] = HalfFloat.f16ToF32(HalfFloat.f32ToF16(exact(HalfFloat.f16ToF32((short) bits))));
        }
        return t;
    }
}
