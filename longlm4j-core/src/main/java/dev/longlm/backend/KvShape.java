package dev.longlm.backend;

/**
 * The size of one sequence's key/value store.
 *
 * @param capacity  positions it holds
 * @param ringSlots true-position keys kept per layer beside the cache (a position scheme's window; 0 for none)
 */
public record KvShape(int layers, int kvHeads, int headDim, int capacity, int ringSlots) {
    public KvShape {
        if (layers < 1 || kvHeads < 1 || headDim < 1 || capacity < 1 || ringSlots < 0) {
            throw new IllegalArgumentException("KV store of " + layers + " layers, " + kvHeads + " KV heads of " + headDim
                    + ", " + capacity + " positions, " + ringSlots + " ring slots");
        }
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Elements of keys plus values at every position of every layer, plus the ring's keys. */
    public long elements() {
        return (long) layers * kvDim() * (2L * capacity + ringSlots);
    }
}
