package dev.longlm.backend.cpu;

import dev.longlm.tensor.HalfFloat;

/**
 * Test reference: ggml's activation rounding written directly from its C (ggml-cpu/arch/x86/quants.c
 * quantize_row_q8_0 / q8_1 with AVX, ggml-quants.c quantize_row_q8_K_ref), in double where ggml's
 * float steps are exact, returning the rounded values {@code q·d}.
 */
final class NaiveActivationRounding {
    private NaiveActivationRounding() {
    }

    static float[] round(ActivationFormat format, float[] x, int offset, int count) {
        float[] out = new float[count];
        switch (format) {
            case F32 -> System.arraycopy(x, offset, out, 0, count);
            case Q8_0, Q8_1 -> {
                for (int b = 0; b < count; b += 32) {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) {
                        amax = Math.max(amax, Math.abs(x[offset + b + j]));
                    }
                    float d = HalfFloat.f16ToF32(HalfFloat.f32ToF16(amax / 127.0f));
                    float id = amax != 0 ? 127.0f / amax : 0.0f;
                    for (int j = 0; j < 32; j++) {
                        // _mm256_round_ps(v, _MM_ROUND_NEAREST): ties to even
                        out[b + j] = (float) Math.rint(x[offset + b + j] * id) * d;
                    }
                }
            }
            case Q8_K -> {
                for (int b = 0; b < count; b += 256) {
                    float amax = 0;
                    float max = 0;
                    for (int j = 0; j < 256; j++) {
                        float ax = Math.abs(x[offset + b + j]);
                        if (ax > amax) {
                            amax = ax;
                            max = x[offset + b + j];
                        }
                    }
                    if (amax == 0) {
                        continue;
                    }
                    float iscale = -127.0f / max;
                    float d = 1 / iscale;
                    for (int j = 0; j < 256; j++) {
                        out[b + j] = Math.min(127, (int) Math.rint(iscale * x[offset + b + j])) * d;
                    }
                }
            }
        }
        return out;
    }
}
