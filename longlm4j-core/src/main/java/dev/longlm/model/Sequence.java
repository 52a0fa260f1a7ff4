package dev.longlm.model;

import dev.longlm.attention.LlamaCppGroupedPositions;
import dev.longlm.attention.LlamaCppRegrouping;
import dev.longlm.attention.PositionScheme;
import dev.longlm.attention.Rope;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvStore;

/**
 * One sequence being processed: its key/value store (which fixes its length), its position scheme, the
 * RoPE its keys and queries are rotated with (the sequence's, not the model's: a frequency method or
 * dynamic NTK changes it per sequence), and, under llama.cpp's approximation, its regrouping state.
 */
public final class Sequence {
    private final KvStore store;
    private final PositionScheme scheme;
    private final LlamaCppRegrouping regrouping;
    private final int capacity;
    private final int ringSlots;
    private Rope rope;

    /**
     * A sequence of up to {@code capacity} positions over {@code store} (which may hold more), emptied and
     * sized for the scheme's ring.
     */
    public Sequence(KvStore store, PositionScheme scheme, Rope rope, int capacity) {
        this(store, scheme, rope, capacity, 0, scheme.ringSlots());
    }

    /**
     * A sequence over {@code store} that keeps its first {@code keep} positions (0: empties it). Kept keys
     * must have been computed under this scheme and RoPE — positions are absolute and a key depends only on
     * its own, so they stay valid — and, for a scheme with a ring, the ring must hold the true-position keys of
     * positions {@code [keep - window, keep)}; the caller checks both ({@code generate.CachedTokens}).
     * {@code ringSlots} may exceed the scheme's window: the ring then also keeps older true-position keys,
     * so that a later sequence can keep a shorter prefix of this one (with slots for every position, any).
     */
    public Sequence(KvStore store, PositionScheme scheme, Rope rope, int capacity, int keep, int ringSlots) {
        if (capacity < 1 || capacity > store.shape().capacity()) {
            throw new IllegalArgumentException("a sequence of " + capacity + " positions in a store of " + store.shape().capacity());
        }
        if (scheme.ringSlots() == 0 ? ringSlots != 0 : ringSlots < scheme.ringSlots()) {
            throw new IllegalArgumentException(ringSlots + " ring slots for " + scheme.describe());
        }
        this.store = store;
        this.capacity = capacity;
        this.scheme = scheme;
        this.rope = rope;
        this.ringSlots = ringSlots;
        this.regrouping = scheme instanceof LlamaCppGroupedPositions g ? new LlamaCppRegrouping(g) : null;
        if (keep == 0) {
            store.reset(ringSlots);
            return;
        }
        if (keep < 0 || keep > store.length() || keep > capacity || store.shape().ringSlots() != ringSlots || regrouping != null) {
            throw new IllegalArgumentException("cannot keep " + keep + " of " + store.length() + " positions (ring "
                    + store.shape().ringSlots() + ", wanted " + ringSlots + ") under " + scheme.describe());
        }
        store.setLength(keep);
    }

    /** Slots of the store's ring of true-position keys (0 for schemes without one). */
    public int ringSlots() {
        return ringSlots;
    }

    public KvStore store() {
        return store;
    }

    public PositionScheme scheme() {
        return scheme;
    }

    public Rope rope() {
        return rope;
    }

    /** Rotations from now on use {@code rope} (dynamic NTK recomputes it as the sequence grows). */
    public void useRope(Rope rope) {
        this.rope = rope;
    }

    public int length() {
        return store.length();
    }

    public int capacity() {
        return capacity;
    }

    /** What is subtracted from a token's index to give its RoPE position (non-zero only under llama.cpp's regrouping). */
    int positionOffset() {
        return regrouping == null ? 0 : regrouping.positionOffset();
    }

    /** Before a decode call: llama.cpp's regrouping of cached keys, with {@code keyRope} (the model's RoPE). */
    public void beforeDecodeCall(Backend backend, Rope keyRope) {
        if (regrouping != null) {
            regrouping.beforeDecode(length(), (from, deltas) -> backend.rotateStoredKeys(store, keyRope, from, deltas));
        }
    }

    /** Empties the sequence (and any regrouping state). */
    public void clear() {
        store.reset(ringSlots);
        if (regrouping != null) {
            regrouping.reset();
        }
    }
}
