package dev.longlm.attention;

/**
 * Which cached keys a query scores, and against which rotation of itself: the part of a
 * {@link PositionScheme} that an attention kernel reads, as plain parameters so that a GPU kernel
 * reads the same thing as the CPU one. For the query at position p (keys 0 … p, after any sliding-
 * window span has cut off the oldest):
 * <ul>
 *   <li>{@code window == 0}: plain attention, every key against the query at its true position;</li>
 *   <li>otherwise near keys, {@code p − j < window}, are scored against the query at its true position
 *       (query copy 0) and, when {@code nearKeysFromRing}, with their true-position keys (the ring of the
 *       last {@code window} keys, or this batch's keys) rather than the stored ones; far keys
 *       {@code j < p − window + 1} against the query at its far position (query copy 1) with the stored
 *       keys, except that far keys at or after {@code farKeyLimit} are not attended to at all.</li>
 * </ul>
 *
 * @param window           W, the near range; 0 for plain attention
 * @param farKeyLimit      far keys j ≥ this are skipped (StreamingLLM keeps only its sinks); {@code Integer.MAX_VALUE} for none
 * @param nearKeysFromRing near keys come from the true-position ring (Self-Extend) rather than from the stored keys
 */
public record KeyRanges(int window, int farKeyLimit, boolean nearKeysFromRing) {
    public static final KeyRanges PLAIN = new KeyRanges(0, Integer.MAX_VALUE, false);

    public KeyRanges {
        if (window < 0 || farKeyLimit < 0 || (window == 0 && nearKeysFromRing)) {
            throw new IllegalArgumentException("key ranges: window " + window + ", far key limit " + farKeyLimit
                    + ", near keys from ring " + nearKeysFromRing);
        }
    }

    public boolean plain() {
        return window == 0;
    }

    /** The first near key of the query at {@code p} whose oldest visible key is {@code firstKey}. */
    public int firstNearKey(int p, int firstKey) {
        return plain() ? firstKey : Math.max(firstKey, p - window + 1);
    }

    /** The end (exclusive) of the far keys before {@code firstNear}. */
    public int farKeyEnd(int firstNear) {
        return Math.min(firstNear, farKeyLimit);
    }
}
