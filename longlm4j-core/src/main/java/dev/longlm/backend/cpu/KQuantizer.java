package dev.longlm.backend.cpu;

import java.lang.foreign.MemorySegment;

import static dev.longlm.backend.cpu.QuantMath.clamp;
import static dev.longlm.backend.cpu.QuantMath.getF16;
import static dev.longlm.backend.cpu.QuantMath.nearestInt;
import static dev.longlm.backend.cpu.QuantMath.putF16;

/**
 * ggml's reference quantizers for the 256-value super-block types (quantize_row_q{4,5,6}_K_ref,
 * the path llama-quantize takes without an importance matrix), one super-block at a time.
 */
final class KQuantizer {
    private KQuantizer() {
    }

    static void q4_K(float[] x, int xo, byte[] y, int yo) {
        int[] levels = new int[256];
        scaleMinBlock(x, xo, y, yo, levels, 15, -1.0f, 0.1f, 20);
        for (int j = 0; j < 4; j++) {
            for (int l = 0; l < 32; l++) {
                y[yo + 16 + 32 * j + l] = (byte) (levels[64 * j + l] | (levels[64 * j + l + 32] << 4));
            }
        }
    }

    static void q5_K(float[] x, int xo, byte[] y, int yo) {
        int[] levels = new int[256];
        scaleMinBlock(x, xo, y, yo, levels, 31, -0.5f, 0.1f, 15);
        int qh = yo + 16;
        int ql = yo + 48;
        for (int k = 0; k < 32; k++) {
            y[qh + k] = 0;
        }
        for (int j = 0; j < 4; j++) {
            for (int l = 0; l < 32; l++) {
                int l1 = levels[64 * j + l];
                int l2 = levels[64 * j + l + 32];
                if (l1 > 15) {
                    l1 -= 16;
                    y[qh + l] |= (byte) (1 << (2 * j));
                }
                if (l2 > 15) {
                    l2 -= 16;
                    y[qh + l] |= (byte) (2 << (2 * j));
                }
                y[ql + 32 * j + l] = (byte) (l1 | (l2 << 4));
            }
        }
    }

    /**
     * The part Q4_K and Q5_K share: per 32-value sub-block an asymmetric fit, the eight scales and
     * mins quantized to 6 bits against the super-block's f16 {@code d} and {@code dmin}, then every
     * value re-quantized against its rounded scale. Writes d, dmin and the scale table; leaves the
     * levels (0..nmax) in {@code levels}.
     */
    private static void scaleMinBlock(float[] x, int xo, byte[] y, int yo, int[] levels, int nmax,
                                      float rmin, float rdelta, int nstep) {
        float[] weights = new float[32];
        int[] aux = new int[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int s = xo + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[s + l] * x[s + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[s + l]);
            }
            QuantMath.ScaleMin fit = QuantMath.makeQkx2Quants(32, nmax, x, s, weights, levels, 32 * j, aux, rmin, rdelta, nstep);
            scales[j] = fit.scale();
            mins[j] = fit.min();
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        int[] ls = new int[8];
        int[] lm = new int[8];
        for (int j = 0; j < 8; j++) {
            // ggml stores nearest_int into a uint8_t before clamping to 63
            ls[j] = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            lm[j] = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
        }
        putF16(y, yo, maxScale / 63.0f);
        putF16(y, yo + 2, maxMin / 63.0f);
        KQuantScales.pack(ls, lm, y, yo + 4);
        MemorySegment packed = MemorySegment.ofArray(y);
        float d = getF16(y, yo);
        float dmin = getF16(y, yo + 2);
        for (int j = 0; j < 8; j++) {
            float dj = d * KQuantScales.scale(packed, yo + 4, j);
            if (dj == 0) {
                continue;
            }
            float mj = dmin * KQuantScales.min(packed, yo + 4, j);
            for (int i = 0; i < 32; i++) {
                levels[32 * j + i] = clamp(nearestInt((x[xo + 32 * j + i] + mj) / dj), 0, nmax);
            }
        }
    }

    static void q6_K(float[] x, int xo, byte[] y, int yo) {
        int[] levels = new int[256];
        float[] scales = new float[16];
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = QuantMath.makeQxQuants(16, 32, x, xo + 16 * ib, levels, 16 * ib);
            scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        if (maxAbsScale < QuantMath.GROUP_MAX_EPS) {
            java.util.Arrays.fill(y, yo, yo + 210, (byte) 0);
            return;
        }
        float iscale = -128.0f / maxScale;
        putF16(y, yo + 208, 1 / iscale);
        for (int ib = 0; ib < 16; ib++) {
            y[yo + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        }
        float d = getF16(y, yo + 208);
        for (int j = 0; j < 16; j++) {
            float dj = d * y[yo + 192 + j];
            if (dj == 0) {
                continue;
            }
            for (int i = 0; i < 16; i++) {
                levels[16 * j + i] = clamp(nearestInt(x[xo + 16 * j + i] / dj), -32, 31) + 32;
            }
        }
        for (int half = 0; half < 2; half++) {
            int j = 128 * half;
            int ql = yo + 64 * half;
            int qh = yo + 128 + 32 * half;
            for (int l = 0; l < 32; l++) {
                int q1 = levels[j + l];
                int q2 = levels[j + l + 32];
                int q3 = levels[j + l + 64];
                int q4 = levels[j + l + 96];
                y[ql + l] = (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4));
                y[ql + 32 + l] = (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4));
                y[qh + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }
}
