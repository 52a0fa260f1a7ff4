package dev.longlm.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Streams generated tokens to text. A character split across tokens (byte tokens, or byte-level
 * BPE pieces of an emoji) is held back until its last byte arrives, so every returned string is
 * complete UTF-8. Pieces are emitted as-is (no leading-space removal): this decodes a continuation,
 * not a whole prompt. Not thread-safe; one per generation stream.
 */
public final class TokenDecoder {
    private final Tokenizer tokenizer;
    private final boolean renderSpecial;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    public TokenDecoder(Tokenizer tokenizer) {
        this(tokenizer, false);
    }

    /** {@code renderSpecial}: emit the text of control tokens such as {@code <|im_end|>}. */
    public TokenDecoder(Tokenizer tokenizer, boolean renderSpecial) {
        this.tokenizer = tokenizer;
        this.renderSpecial = renderSpecial;
    }

    /** Adds one token; returns the text completed by it (possibly empty). */
    public String feed(int id) {
        pending.writeBytes(tokenizer.tokenBytes(id, renderSpecial));
        byte[] bytes = pending.toByteArray();
        int complete = completePrefixLength(bytes);
        pending.reset();
        pending.write(bytes, complete, bytes.length - complete);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is held back, with incomplete sequences as U+FFFD, and resets. */
    public String flush() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    /** Whether bytes are being held back waiting for the rest of a character. */
    public boolean hasPending() {
        return pending.size() > 0;
    }

    /**
     * Length of the longest prefix that does not end inside a multi-byte sequence that could
     * still be completed. Invalid bytes are let through (they decode to U+FFFD) rather than held.
     */
    static int completePrefixLength(byte[] bytes) {
        int n = bytes.length;
        // A UTF-8 sequence is at most 4 bytes, so only the last 3 can start an unfinished one.
        for (int back = 1; back <= Math.min(3, n); back++) {
            int b = bytes[n - back] & 0xFF;
            if (b < 0x80) {
                return n; // ASCII: nothing unfinished
            }
            if (b >= 0xC0) { // a lead byte: is its sequence complete?
                int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                if (b >= 0xF8) {
                    return n; // not a valid lead byte; nothing to wait for
                }
                return back < needed ? n - back : n;
            }
            // continuation byte: keep looking for its lead byte
        }
        return n;
    }
}
