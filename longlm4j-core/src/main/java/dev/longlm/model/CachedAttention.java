package dev.longlm.model;

import dev.longlm.attention.KeyRanges;
import dev.longlm.attention.PositionScheme;
import dev.longlm.attention.Rope;
import dev.longlm.backend.Backend;

/**
 * One layer's attention step on a backend, the single one every architecture uses: position the new
 * keys and queries with RoPE under the sequence's {@link PositionScheme} (keys at their stored
 * positions, and at their true ones for a ring; the queries at their near position and, where the
 * scheme's {@link KeyRanges} read them, at their far and successive-chunk positions), store keys and
 * values, attend with the backend's fused kernel, then move the newest true-position keys into the
 * store's ring when the scheme keeps one.
 */
public final class CachedAttention {
    private final Backend backend;
    private final float scale;
    private final float softCap;

    public CachedAttention(Backend backend, float scale, float softCap) {
        this.backend = backend;
        this.scale = scale;
        this.softCap = softCap;
    }

    /**
     * Sets the RoPE positions of buffer row {@code row}, which holds the token at index {@code p} of
     * {@code sequence}; {@link AttentionBuffers#uploadPositions} then hands them to the backend.
     */
    public static void setPositions(Sequence sequence, int p, int row, AttentionBuffers b) {
        PositionScheme scheme = sequence.scheme();
        int position = p - sequence.positionOffset();
        b.storedKeyPositions().host()[row] = scheme.storedKeyPosition(position);
        b.queryPositions().host()[row] = scheme.nearQueryPosition(position);
        b.farQueryPositions().host()[row] = scheme.farQueryPosition(position);
        b.successiveQueryPositions().host()[row] = scheme.successiveQueryPosition(position);
        b.trueKeyPositions().host()[row] = position;
    }

    /**
     * Attention of buffer rows {@code [row, row+n)}, positions {@code start …} of {@code sequence}, whose
     * positions are set, in layer {@code layer}: keys farther than {@code span} are masked. The sequence's
     * length is not advanced (its caller does, once every layer has run).
     */
    public void forward(int layer, Sequence sequence, AttentionBuffers b, int row, int n, int start, int span) {
        PositionScheme scheme = sequence.scheme();
        KeyRanges ranges = scheme.ranges();
        Rope rope = sequence.rope();
        backend.rope(rope, b.keys(), b.storedKeys(), row, n, b.storedKeyPositions());
        if (!ranges.plain()) {
            backend.rope(rope, b.queries(), b.farQueries(), row, n, b.farQueryPositions());
            if (ranges.chunk() > 0) {
                backend.rope(rope, b.queries(), b.successiveQueries(), row, n, b.successiveQueryPositions());
            }
            if (ranges.nearKeysFromRing()) {
                backend.rope(rope, b.keys(), b.keys(), row, n, b.trueKeyPositions());
            }
        }
        backend.rope(rope, b.queries(), b.queries(), row, n, b.queryPositions());
        backend.storeKv(sequence.store(), layer, b.storedKeys(), b.values(), row, n, start);
        backend.attend(sequence.store(), layer, ranges, b.queries(), b.farQueries(), b.successiveQueries(), b.keys(), row, n,
                start, span, scale, softCap, b.out());
        int ring = sequence.ringSlots(); // the window, or more slots kept for prefix reuse
        if (ring > 0) {
            int first = Math.max(0, n - ring);
            backend.storeRingKeys(sequence.store(), layer, b.keys(), row + first, n - first, start + first);
        }
    }
}
