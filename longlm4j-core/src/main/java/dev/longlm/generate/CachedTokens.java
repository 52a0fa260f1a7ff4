package dev.longlm.generate;

import java.util.Arrays;

/**
 * What a KV store holds once a session is done with it, so that a later session can keep the longest
 * prefix it shares with its own input instead of computing it again: the token ids at positions
 * {@code 0 … length-1}, the key of the position scheme and RoPE they were computed under
 * ({@link Session#schemeKey}), and the first position whose true-position key the store's ring still
 * holds (a ring of W slots keeps only the last W; a ring with a slot for every position keeps all).
 *
 * @param schemeKey    null when the keys cannot be reused (dynamic NTK, llama.cpp's regrouping)
 * @param trueKeysFrom positions from here on have their true-position key in the ring
 * @param window       the scheme's window W: how many true-position keys before it a resumed position needs
 */
public record CachedTokens(int[] tokens, String schemeKey, int trueKeysFrom, int window) {
    public static final CachedTokens EMPTY = new CachedTokens(new int[0], null, 0, 0);

    public CachedTokens {
        tokens = tokens.clone();
    }

    public int length() {
        return tokens.length;
    }

    /**
     * How many leading positions a session under {@code schemeKey} reading {@code input} may keep: the
     * shared prefix, less one so that the input's last token is computed again (its logits start the
     * completion), or 0 when the scheme differs or the ring no longer holds the true-position keys of the
     * W positions before the prefix's end.
     */
    public int reusable(String schemeKey, int[] input) {
        int mismatch = Arrays.mismatch(tokens, input);
        int shared = Math.min(mismatch < 0 ? tokens.length : mismatch, input.length - 1);
        return shared > 0 && canKeep(schemeKey, shared) ? shared : 0;
    }

    /**
     * Whether a session under {@code schemeKey} may keep the first {@code keep} positions: same scheme and
     * RoPE, and (for a scheme with a window) the true-position keys of positions {@code [keep - W, keep)}.
     */
    public boolean canKeep(String schemeKey, int keep) {
        return this.schemeKey != null && this.schemeKey.equals(schemeKey) && keep <= tokens.length
                && (window == 0 || Math.max(0, keep - window) >= trueKeysFrom);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CachedTokens c && Arrays.equals(tokens, c.tokens) && java.util.Objects.equals(schemeKey, c.schemeKey)
                && trueKeysFrom == c.trueKeysFrom && window == c.window;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tokens) * 31 + java.util.Objects.hashCode(schemeKey);
    }

    @Override
    public String toString() {
        return "CachedTokens[" + tokens.length + " tokens, " + schemeKey + ", true keys from " + trueKeysFrom + "]";
    }
}
