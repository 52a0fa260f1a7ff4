package dev.longlm.backend.cpu;

import dev.longlm.tensor.HalfFloat;
import dev.longlm.gguf.GgmlType;

import java.util.List;

/**
 * Row-wise conversion of floats to ggml block bytes, following ggml's reference quantizers (the
 * no-importance-matrix path of llama-quantize), so the bytes equal those ggml writes.
 */
public final class Quantizer {
    /** Types this class can produce. */
    public static final List<GgmlType> SUPPORTED = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    private Quantizer() {
    }

    public static boolean supports(GgmlType type) {
        return SUPPORTED.contains(type);
    }

    /**
     * Quantizes {@code n} values {@code src[srcOffset …]} (a multiple of the type's block size) into
     * {@code type.bytesFor(n)} bytes at {@code dst[dstOffset …]}.
     */
    public static void quantize(GgmlType type, float[] src, int srcOffset, int n, byte[] dst, int dstOffset) {
        if (!supports(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type + "; supported: " + SUPPORTED);
        }
        int block = type.blockSize();
        if (n % block != 0) {
            throw new IllegalArgumentException(n + " values do not fill whole " + type + " blocks of " + block);
        }
        int blockBytes = type.bytesPerBlock();
        for (int b = 0, xo = srcOffset, yo = dstOffset; b < n / block; b++, xo += block, yo += blockBytes) {
            switch (type) {
                case F32 -> {
                    int bits = Float.floatToRawIntBits(src[xo]);
                    for (int k = 0; k < 4; k++) {
                        dst[yo + k] = (byte) (bits >> (8 * k));
                    }
                }
                case F16 -> QuantMath.putShort(dst, yo, HalfFloat.f32ToF16(src[xo]));
                case BF16 -> QuantMath.putShort(dst, yo, HalfFloat.f32ToBf16(src[xo]));
                case Q8_0 -> LegacyQuantizer.q8_0(src, xo, dst, yo);
                case Q4_0 -> LegacyQuantizer.q4_0(src, xo, dst, yo);
                case Q4_1 -> LegacyQuantizer.q4_1(src, xo, dst, yo);
                case Q5_0 -> LegacyQuantizer.q5_0(src, xo, dst, yo);
                case Q5_1 -> LegacyQuantizer.q5_1(src, xo, dst, yo);
                case Q4_K -> KQuantizer.q4_K(src, xo, dst, yo);
                case Q5_K -> KQuantizer.q5_K(src, xo, dst, yo);
                case Q6_K -> KQuantizer.q6_K(src, xo, dst, yo);
                default -> throw new IllegalStateException(type.toString());
            }
        }
    }

    /** Quantizes all of {@code src} (whole rows of a multiple of the block size) into a new array. */
    public static byte[] quantize(GgmlType type, float[] src) {
        byte[] out = new byte[Math.toIntExact(type.bytesFor(src.length))];
        quantize(type, src, 0, src.length, out, 0);
        return out;
    }
}
