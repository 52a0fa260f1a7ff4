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

    /** Keys at their grouped positions (true positions for plain attention), {@code kvDim} floats per position. */
    public float[] keys(int layer) {
        return keys[layer];
    }

    public float[] values(int layer) {
        return values[layer];
    }

    /** Ring of W keys at their true positions: key j lives in slot {@code j % W}; null for plain attention. */
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
