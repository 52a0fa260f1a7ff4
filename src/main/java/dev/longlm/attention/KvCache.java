package dev.longlm.attention;

/**
 * Keys and values of every processed position, per layer, for one sequence.
 *
 * <p>Keys are stored already rotated, so decoding never re-rotates the cache. Under a
 * {@link PositionScheme} with grouping, a key at j is stored once at its grouped position
 * {@code groupedKey(j)} — the rotation it has for every query beyond the neighbour window, which never
 * changes — and, for the last W positions only, a second copy at its true position in a ring
 * of W slots. The cache therefore costs what plain attention's costs plus W keys per layer. For
 * plain attention the ring is absent and the stored keys are the normally rotated ones.
 *
 * <p>Layout: head-major, {@code [kvHead][position][headDim]} (the ring {@code [kvHead][slot][headDim]}),
 * so that attention, which works one KV head at a time, reads each head's keys and values as one
 * contiguous stream instead of a {@code headDim} slice out of every {@code kvDim} row. The head size
 * is bound by the first {@link CachedAttention} step ({@link #useHeadDim}); see {@link #offset}.
 */
public final class KvCache {
    private final int layers;
    private final int kvDim;
    private final int capacity;
    private final PositionScheme scheme;
    private final float[][] keys;
    private final float[][] values;
    private final float[][] windowKeys;
    private int length;
    /** Floats per KV head; 0 until {@link #useHeadDim} binds the layout. */
    private int headDim;

    public KvCache(int layers, int kvDim, int capacity, PositionScheme scheme) {
        this.layers = layers;
        this.kvDim = kvDim;
        this.capacity = capacity;
        this.scheme = scheme;
        this.keys = new float[layers][Math.multiplyExact(capacity, kvDim)];
        this.values = new float[layers][Math.multiplyExact(capacity, kvDim)];
        this.windowKeys = scheme.isPlain() ? null : new float[layers][scheme.window() * kvDim];
    }

    public int layers() {
        return layers;
    }

    public int kvDim() {
        return kvDim;
    }

    /** Positions this cache can hold. */
    public int capacity() {
        return capacity;
    }

    public PositionScheme scheme() {
        return scheme;
    }

    /** Positions processed so far; the next token goes at this position. */
    public int length() {
        return length;
    }

    public void setLength(int length) {
        if (length < 0 || length > capacity) {
            throw new IllegalArgumentException("cache length " + length + " outside [0, " + capacity + "]");
        }
        this.length = length;
    }

    /**
     * Binds the head size, which fixes the layout; called before anything is stored. Binding again to
     * the same size is a no-op, to another one an error.
     */
    void useHeadDim(int headDim) {
        if (this.headDim == headDim) {
            return;
        }
        if (this.headDim != 0 || headDim <= 0 || kvDim % headDim != 0) {
            throw new IllegalStateException("KV cache of " + kvDim + " floats per position bound to head size "
                    + this.headDim + ", asked for " + headDim);
        }
        this.headDim = headDim;
    }

    /** Floats per KV head (0 while unbound). */
    public int headDim() {
        return headDim;
    }

    /**
     * Where head {@code kvHead} of {@code position} starts in {@link #keys} and {@link #values}; the
     * next position of the same head follows {@link #headDim()} floats later.
     */
    public int offset(int kvHead, int position) {
        return (kvHead * capacity + position) * headDim;
    }

    /** Where head {@code kvHead} of ring slot {@code slot} starts in {@link #windowKeys}; slots follow each other likewise. */
    public int windowOffset(int kvHead, int slot) {
        return (kvHead * scheme.window() + slot) * headDim;
    }

    /** Copies one position's {@code kvDim} floats (heads consecutive, as projections produce them) into {@code array} at {@code position}. */
    void put(float[] array, int position, float[] src, int srcOffset) {
        for (int h = 0, heads = kvDim / headDim; h < heads; h++) {
            System.arraycopy(src, srcOffset + h * headDim, array, offset(h, position), headDim);
        }
    }

    /** Stores the true-position key of {@code position} (heads consecutive) in its ring slot {@code position % W}. */
    void putWindowKey(int layer, int position, float[] src, int srcOffset) {
        int slot = position % scheme.window();
        for (int h = 0, heads = kvDim / headDim; h < heads; h++) {
            System.arraycopy(src, srcOffset + h * headDim, windowKeys[layer], windowOffset(h, slot), headDim);
        }
    }

    /** Keys at their grouped positions (true positions for plain attention), laid out as {@link #offset} says. */
    public float[] keys(int layer) {
        return keys[layer];
    }

    public float[] values(int layer) {
        return values[layer];
    }

    /** Ring of W keys at their true positions: key j lives in slot {@code j % W} ({@link #windowOffset}); null for plain attention. */
    public float[] windowKeys(int layer) {
        return windowKeys == null ? null : windowKeys[layer];
    }

    /** Bytes held by this cache's arrays. */
    public long allocatedBytes() {
        long floats = 2L * layers * capacity * kvDim;
        if (windowKeys != null) {
            floats += (long) layers * scheme.window() * kvDim;
        }
        return floats * Float.BYTES;
    }

    public void clear() {
        length = 0;
        scheme.reset();
    }
}
