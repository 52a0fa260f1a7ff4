package dev.longlm.backend.cpu;

import static dev.longlm.backend.cpu.QuantMath.putF16;
import static dev.longlm.backend.cpu.QuantMath.roundHalfAway;

/**
 * ggml's reference quantizers for the 32-value block types (quantize_row_q{4_0,4_1,5_0,5_1,8_0}_ref),
 * one block at a time. The float-to-small-int conversions truncate like C's casts.
 */
final class LegacyQuantizer {
    private LegacyQuantizer() {
    }

    static void q8_0(float[] x, int xo, byte[] y, int yo) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[xo + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(y, yo, d);
        for (int j = 0; j < 32; j++) {
            y[yo + 2 + j] = (byte) roundHalfAway(x[xo + j] * id);
        }
    }

    static void q4_0(float[] x, int xo, byte[] y, int yo) {
        float max = signedAbsMax(x, xo);
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(y, yo, d);
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (byte) (int) (x[xo + j] * id + 8.5f)) & 0xFF;
            int hi = Math.min(15, (byte) (int) (x[xo + 16 + j] * id + 8.5f)) & 0xFF;
            y[yo + 2 + j] = (byte) (lo | (hi << 4));
        }
    }

    static void q4_1(float[] x, int xo, byte[] y, int yo) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(y, yo, d);
        putF16(y, yo + 2, min);
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (byte) (int) ((x[xo + j] - min) * id + 0.5f)) & 0xFF;
            int hi = Math.min(15, (byte) (int) ((x[xo + 16 + j] - min) * id + 0.5f)) & 0xFF;
            y[yo + 4 + j] = (byte) (lo | (hi << 4));
        }
    }

    static void q5_0(float[] x, int xo, byte[] y, int yo) {
        float max = signedAbsMax(x, xo);
        float d = max / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(y, yo, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(31, (byte) (int) (x[xo + j] * id + 16.5f)) & 0xFF;
            int hi = Math.min(31, (byte) (int) (x[xo + 16 + j] * id + 16.5f)) & 0xFF;
            y[yo + 6 + j] = (byte) ((lo & 0xF) | ((hi & 0xF) << 4));
            qh |= ((lo & 0x10) >>> 4) << j;
            qh |= ((hi & 0x10) >>> 4) << (j + 16);
        }
        putInt(y, yo + 2, qh);
    }

    static void q5_1(float[] x, int xo, byte[] y, int yo) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(y, yo, d);
        putF16(y, yo + 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = (int) ((x[xo + j] - min) * id + 0.5f) & 0xFF;
            int hi = (int) ((x[xo + 16 + j] - min) * id + 0.5f) & 0xFF;
            y[yo + 8 + j] = (byte) ((lo & 0xF) | ((hi & 0xF) << 4));
            qh |= ((lo & 0x10) >>> 4) << j;
            qh |= ((hi & 0x10) >>> 4) << (j + 16);
        }
        putInt(y, yo + 4, qh);
    }

    /** The value of largest magnitude in a 32-value block, keeping its sign (first one on ties). */
    private static float signedAbsMax(float[] x, int xo) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    private static void putInt(byte[] y, int offset, int v) {
        y[offset] = (byte) v;
        y[offset + 1] = (byte) (v >> 8);
        y[offset + 2] = (byte) (v >> 16);
        y[offset + 3] = (byte) (v >> 24);
    }
}
