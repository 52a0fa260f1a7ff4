package dev.longlm.attention;

/**
 * Which cached keys a query scores, and against which rotation of itself: the part of a
 * {@link PositionScheme} that an attention kernel reads, as plain parameters so that a GPU kernel
 * reads the same thing as the CPU one. For the query at position p (keys 0 … p, after any sliding-
 * window span has cut off the oldest) the keys fall into up to three consecutive ranges, each scored
 * against its own rotation of the query and merged into one online softmax:
 * <pre>
 *   [firstKey, farEnd)            far keys         query copy 1 (far),        stored keys
 *   [firstSuccessive, firstNear)  successive keys  query copy 2 (successive), stored keys
 *   [firstNear, p]                near keys        query copy 0 (near),       stored keys or the ring
 * </pre>
 * <ul>
 *   <li>plain ({@code window == 0}, {@code chunk == 0}): every key is near, against the near query;</li>
 *   <li>sliding window ({@code window > 0}): near keys are {@code p − j < window}; when
 *       {@code nearKeysFromRing} they are scored with their true-position keys (the ring of the last
 *       {@code window} keys, or this batch's keys) rather than the stored ones; there are no successive
 *       keys; far keys at or after {@code farKeyLimit} are skipped (StreamingLLM keeps only its sinks).
 *       Self-Extend, ReRoPE, Leaky ReRoPE and StreamingLLM;</li>
 *   <li>chunks ({@code chunk = s > 0}): near keys are the query's own chunk, {@code j ≥ ⌊p/s⌋·s};
 *       successive keys the chunk before, {@code ⌊p/s⌋·s − s ≤ j < ⌊p/s⌋·s}; far keys all earlier ones.
 *       Dual Chunk Attention's intra-, successive- and inter-chunk attention.</li>
 * </ul>
 * Every range is clipped to {@code [firstKey, p]}; an empty range is skipped. What a kernel computes
 * is exactly {@code softmax over j of (q_range(j) · k_j · scale)} with {@code k_j} the stored key (or the
 * ring key) of j: the split into ranges only chooses the query copy, so tiles of any size give the
 * same result up to float rounding. The kernel contract step by step, with what each scheme puts in these
 * fields, is in docs/LONG_CONTEXT.md ("What a backend's attention kernel computes").
 *
 * @param window           W of the sliding-window kind; 0 otherwise
 * @param farKeyLimit      far keys j ≥ this are skipped; {@code Integer.MAX_VALUE} for none
 * @param nearKeysFromRing near keys come from the true-position ring (Self-Extend, ReRoPE) rather than from the stored keys
 * @param chunk            s of the chunked kind; 0 otherwise
 */
public record KeyRanges(int window, int farKeyLimit, boolean nearKeysFromRing, int chunk) {
    public static final KeyRanges PLAIN = new KeyRanges(0, Integer.MAX_VALUE, false, 0);

    public KeyRanges {
        if (window < 0 || farKeyLimit < 0 || chunk < 0 || (window > 0 && chunk > 0) || (window == 0 && nearKeysFromRing)) {
            throw new IllegalArgumentException("key ranges: window " + window + ", far key limit " + farKeyLimit
                    + ", near keys from ring " + nearKeysFromRing + ", chunk " + chunk);
        }
    }

    /** Sliding-window ranges (no chunks). */
    public KeyRanges(int window, int farKeyLimit, boolean nearKeysFromRing) {
        this(window, farKeyLimit, nearKeysFromRing, 0);
    }

    /** Dual Chunk Attention's ranges for chunks of {@code chunk} keys: every key comes from the stored keys. */
    public static KeyRanges chunked(int chunk) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk " + chunk);
        }
        return new KeyRanges(0, Integer.MAX_VALUE, false, chunk);
    }

    public boolean plain() {
        return window == 0 && chunk == 0;
    }

    /** The first near key of the query at {@code p} whose oldest visible key is {@code firstKey}. */
    public int firstNearKey(int p, int firstKey) {
        if (chunk > 0) {
            return Math.max(firstKey, p - p % chunk);
        }
        return plain() ? firstKey : Math.max(firstKey, p - window + 1);
    }

    /** The first successive key of the query at {@code p}; equal to {@link #firstNearKey} when there are none. */
    public int firstSuccessiveKey(int p, int firstKey) {
        return chunk > 0 ? Math.max(firstKey, p - p % chunk - chunk) : firstNearKey(p, firstKey);
    }

    /** The end (exclusive) of the far keys before {@code firstSuccessive}. */
    public int farKeyEnd(int firstSuccessive) {
        return Math.min(firstSuccessive, farKeyLimit);
    }
}
