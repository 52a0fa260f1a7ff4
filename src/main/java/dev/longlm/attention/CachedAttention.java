package dev.longlm.attention;

import dev.longlm.backend.cpu.Parallel;

/**
 * One layer's attention step over a batch of consecutive positions: position the new queries and
 * keys with RoPE under the cache's {@link PositionScheme}, store keys and values, attend with the
 * fused kernel, then move the newest true-position keys into the cache's window ring. This is the
 * single attention interface every architecture uses.
 */
public final class CachedAttention {
    private final Rope rope;
    private final FusedAttention kernel;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    /** One position's rotated key before it is spread over the cache's per-head rows. */
    private final ThreadLocal<float[]> keyRow;

    public CachedAttention(Rope rope, int heads, int kvHeads, int headDim, float scale, float softCap) {
        this.rope = rope;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keyRow = ThreadLocal.withInitial(() -> new float[kvHeads * headDim]);
        this.kernel = new FusedAttention(heads, kvHeads, headDim, scale, softCap);
    }

    public Rope rope() {
        return rope;
    }

    /**
     * @param queries        raw queries of the batch ({@code heads·headDim} per position); rotated in place
     * @param groupedQueries scratch for grouped-position queries, same size as {@code queries}
     * @param keys           raw keys of the batch; rotated in place to their true positions
     * @param values         values of the batch
     * @param start          position of the batch's first token
     * @param span           sliding-window span ({@code Integer.MAX_VALUE} for full attention)
     * @param out            attention output ({@code heads·headDim} per position)
     */
    public void forward(int layer, int n, int start, float[] queries, float[] groupedQueries, float[] keys,
                        float[] values, int span, KvCache cache, float[] out, Parallel pool) {
        PositionScheme scheme = cache.scheme();
        cache.useHeadDim(headDim);
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        float[] cachedKeys = cache.keys(layer);
        float[] cachedValues = cache.values(layer);
        float[] row = keyRow.get();
        for (int i = 0; i < n; i++) {
            int p = start + i;
            if (scheme.isPlain()) {
                rope.rotate(keys, i * kvDim, row, 0, kvHeads, scheme.position(p));
            } else {
                rope.rotate(queries, i * qDim, groupedQueries, i * qDim, heads, scheme.groupedQuery(p));
                rope.rotate(keys, i * kvDim, row, 0, kvHeads, scheme.groupedKey(p));
                rope.rotate(keys, i * kvDim, keys, i * kvDim, kvHeads, p);
            }
            cache.put(cachedKeys, p, row, 0);
            rope.rotate(queries, i * qDim, queries, i * qDim, heads, scheme.isPlain() ? scheme.position(p) : p);
            cache.put(cachedValues, p, values, i * kvDim);
        }
        kernel.attend(queries, groupedQueries, keys, n, start, cache, layer, span, out, pool);
        if (!scheme.isPlain()) {
            for (int i = Math.max(0, n - scheme.window()); i < n; i++) {
                cache.putWindowKey(layer, start + i, keys, i * kvDim);
            }
        }
    }
}
