package dev.longlm.backend.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The 12-byte packed table of eight 6-bit (scale, min) pairs that Q4_K and Q5_K super-blocks
 * share. Pairs 0-3 sit in the low six bits of bytes 0-3 (scales) and 4-7 (mins); pairs 4-7 keep
 * their low four bits in bytes 8-11 and their top two bits in the spare high bits of bytes 0-7.
 */
final class KQuantScales {
    private KQuantScales() {
    }

    /** The 6-bit scale of sub-block {@code j} (0-7) of the table at {@code table} in {@code data}. */
    static int scale(MemorySegment data, long table, int j) {
        return j < 4 ? at(data, table, j) & 63 : (at(data, table, j + 4) & 0xF) | ((at(data, table, j - 4) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j} (0-7). */
    static int min(MemorySegment data, long table, int j) {
        return j < 4 ? at(data, table, j + 4) & 63 : (at(data, table, j + 4) >>> 4) | ((at(data, table, j) >>> 6) << 4);
    }

    /**
     * {@link #scale} from the table read as one little-endian long (bytes 0-7) and int (bytes 8-11):
     * two loads per super-block instead of one or two bounds-checked byte loads per value, for kernels.
     */
    static int scale(long low, int high, int j) {
        return j < 4 ? byteOf(low, high, j) & 63 : (byteOf(low, high, j + 4) & 0xF) | ((byteOf(low, high, j - 4) >>> 6) << 4);
    }

    /** {@link #min} from the table read as in {@link #scale(long, int, int)}. */
    static int min(long low, int high, int j) {
        return j < 4 ? byteOf(low, high, j + 4) & 63 : (byteOf(low, high, j + 4) >>> 4) | ((byteOf(low, high, j) >>> 6) << 4);
    }

    /**
     * All eight 6-bit scales as the bytes of a long (scale j in byte j), from the table's first and
     * third little-endian ints — ggml's {@code kmask} unpacking, a few word operations for the lot.
     */
    static long scalesOf(int word0, int word2) {
        int first = word0 & 0x3f3f3f3f;
        int second = (word2 & 0x0f0f0f0f) | (((word0 >>> 6) & 0x03030303) << 4);
        return Integer.toUnsignedLong(first) | ((long) second << 32);
    }

    /** Value {@code k} (0-7) of a long from {@link #scalesOf} or {@link #minsOf}. */
    static int unpacked(long packed, int k) {
        return (int) ((packed >>> (8 * k)) & 0xFF);
    }

    /** All eight 6-bit mins as the bytes of a long, from the table's second and third ints (see {@link #scalesOf}). */
    static long minsOf(int word1, int word2) {
        int first = word1 & 0x3f3f3f3f;
        int second = ((word2 >>> 4) & 0x0f0f0f0f) | (((word1 >>> 6) & 0x03030303) << 4);
        return Integer.toUnsignedLong(first) | ((long) second << 32);
    }

    private static int byteOf(long low, int high, int k) {
        return k < 8 ? (int) (low >>> (8 * k)) & 0xFF : (high >>> (8 * (k - 8))) & 0xFF;
    }

    private static int at(MemorySegment data, long table, int k) {
        return data.get(Layouts.BYTE, table + k) & 0xFF;
    }

    /** Packs eight 6-bit scales and mins into the 12-byte table (inverse of {@link #scale}/{@link #min}). */
    static void pack(int[] scales, int[] mins, byte[] out, int offset) {
        for (int k = 0; k < 12; k++) {
            out[offset + k] = 0;
        }
        for (int j = 0; j < 8; j++) {
            int ls = scales[j];
            int lm = mins[j];
            if (j < 4) {
                out[offset + j] = (byte) ls;
                out[offset + j + 4] = (byte) lm;
            } else {
                out[offset + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                out[offset + j - 4] |= (byte) ((ls >> 4) << 6);
                out[offset + j] |= (byte) ((lm >> 4) << 6);
            }
        }
    }
}
