package dev.longlm.backend.cpu;

import dev.longlm.tensor.HalfFloat;

/**
 * Rounding and scale-search helpers of ggml's reference quantizers. Every operation keeps ggml's
 * float evaluation order (Java float arithmetic is strict IEEE and never fused), so results match
 * ggml's bytes exactly.
 */
final class QuantMath {
    /** Below this a group counts as all zero (ggml's GROUP_MAX_EPS). */
    static final float GROUP_MAX_EPS = 1e-15f;

    private QuantMath() {
    }

    /** Round to nearest, ties to even, via the 1.5·2^23 trick ggml uses (valid for |f| < 2^22). */
    static int nearestInt(float f) {
        float v = f + 12582912f;
        return (Float.floatToRawIntBits(v) & 0x007FFFFF) - 0x00400000;
    }

    /** C's {@code roundf}: round half away from zero (Math.round rounds half up instead). */
    static int roundHalfAway(float v) {
        int r = (int) (Math.abs((double) v) + 0.5);
        return v < 0 ? -r : r;
    }

    /**
     * ggml's make_qx_quants with rmse_type 1 and no importance weights: finds a signed scale for
     * {@code n} values so that {@code x ≈ scale · (L - nmax)}, trying 18 nearby scales and keeping
     * the one with the best weighted (x²) fit. Writes {@code L} in {@code [0, 2·nmax)}.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xOff, int[] levels, int lOff) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                levels[lOff + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
            levels[lOff + i] = l + nmax;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    levels[lOff + i] = nmax + clamp(nearestInt(iscale * x[xOff + i]), -nmax, nmax - 1);
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /** Scale and (positive) offset found by {@link #makeQkx2Quants}: {@code x ≈ scale · L - min}. */
    record ScaleMin(float scale, float min) {
    }

    /**
     * ggml's make_qkx2_quants (squared error): fits {@code x ≈ scale · L - min} with
     * {@code L in [0, nmax]} by a weighted least-squares search over {@code nstep + 1} candidate
     * scales around {@code nmax / (max - min)}. Writes the chosen levels to {@code levels}.
     */
    static ScaleMin makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] weights, int[] levels, int lOff,
                                   int[] aux, float rmin, float rdelta, int nstep) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = weights[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            float xi = x[xOff + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                levels[lOff + i] = 0;
            }
            return new ScaleMin(0f, -min);
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * (x[xOff + i] - min)), 0, nmax);
            levels[lOff + i] = l;
            float diff = scale * l + min - x[xOff + i];
            bestError += weights[i] * (diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * (x[xOff + i] - min)), 0, nmax);
                aux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xOff + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xOff + i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, levels, lOff, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        return new ScaleMin(scale, -min);
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    static void putShort(byte[] dst, int offset, short v) {
        dst[offset] = (byte) v;
        dst[offset + 1] = (byte) (v >> 8);
    }

    static void putF16(byte[] dst, int offset, float v) {
        putShort(dst, offset, HalfFloat.f32ToF16(v));
    }

    static float getF16(byte[] src, int offset) {
        return HalfFloat.f16ToF32((short) ((src[offset] & 0xFF) | (src[offset + 1] << 8)));
    }
}
