package dev.longlm.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-character mapping: printable Latin-1 bytes stand for themselves, the
 * other 68 (controls, space, ...) are shifted to U+0100 and up, so every byte sequence becomes
 * printable text without spaces (space is 'Ġ', newline 'Ċ').
 */
final class ByteLevelAlphabet {
    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final int[] BYTE_OF_CHAR = new int[512];

    static {
        Arrays.fill(BYTE_OF_CHAR, -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + shifted++);
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** The byte-level text of UTF-8 bytes: one char per byte. */
    static String encode(byte[] utf8) {
        char[] chars = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            chars[i] = CHAR_OF_BYTE[utf8[i] & 0xFF];
        }
        return new String(chars);
    }

    /** The byte a byte-level char stands for, or -1 if it is not one of the 256. */
    static int byteOf(int codePoint) {
        return codePoint < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[codePoint] : -1;
    }
}
