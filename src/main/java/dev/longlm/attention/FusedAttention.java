package dev.longlm.attention;

import dev.longlm.backend.cpu.FloatArrays;
import dev.longlm.backend.cpu.Parallel;

/**
 * Causal multi-head attention with a {@link PositionScheme}, fused into one pass over the cache with
 * an online softmax: keys are visited in tiles of {@link #TILE}, each query keeps a running maximum,
 * normaliser and weighted sum of values, so no score matrix is ever materialised.
 *
 * <p>Each key is scored once, with the rotation its distance calls for: keys at distance ≥ W against
 * the query rotated to its grouped position, nearer keys against the query at its true position. A
 * tile wholly inside or outside the window therefore takes one kind of score; only a tile straddling
 * distance W mixes both. The query heads that share a KV head are processed together, so each cached
 * key and value is read once per KV head (grouped-query attention).
 */
public final class FusedAttention {
    /** Keys per tile of the online softmax. */
    public static final int TILE = 64;

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    /** Soft-capping of scores, {@code cap·tanh(s/cap)} (Gemma 2); 0 for none. */
    private final float softCap;
    private final ThreadLocal<Scratch> scratch;

    public FusedAttention(int heads, int kvHeads, int headDim, float scale, float softCap) {
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " query heads are not a multiple of " + kvHeads + " KV heads");
        }
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scale = scale;
        this.softCap = softCap;
        int group = heads / kvHeads;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(group));
    }

    /** Per-thread buffers: scores of one tile and the running softmax state of each query head of a group. */
    private static final class Scratch {
        final float[] scores;
        final float[] max;
        final float[] sum;

        Scratch(int group) {
            scores = new float[group * TILE];
            max = new float[group];
            sum = new float[group];
        }
    }

    /**
     * Attention for the {@code n} queries at positions {@code start … start+n-1} of one layer. The
     * cache must already hold keys (grouped) and values for positions up to {@code start+n-1}.
     *
     * @param queries      queries rotated to their true positions, {@code heads·headDim} per position
     * @param groupedQueries queries rotated to their grouped positions (ignored for plain attention)
     * @param chunkKeys    this chunk's keys rotated to their true positions, {@code kvDim} per position
     *                     (ignored for plain attention); keys before {@code start} come from the cache's ring
     * @param span         keys farther than this are masked (sliding-window attention); {@code Integer.MAX_VALUE} for none
     * @param out          attention output, {@code heads·headDim} per position
     */
    public void attend(float[] queries, float[] groupedQueries, float[] chunkKeys, int n, int start,
                       KvCache cache, int layer, int span, float[] out, Parallel pool) {
        pool.forRange(n * kvHeads, (from, to) -> {
            Scratch s = scratch.get();
            for (int item = from; item < to; item++) {
                attendGroup(item / kvHeads, item % kvHeads, queries, groupedQueries, chunkKeys, start, cache, layer,
                        span, out, s);
            }
        });
    }

    private void attendGroup(int i, int kvHead, float[] queries, float[] groupedQueries, float[] chunkKeys, int start,
                             KvCache cache, int layer, int span, float[] out, Scratch s) {
        PositionScheme scheme = cache.scheme();
        int group = heads / kvHeads;
        int p = start + i;
        int qBase = i * heads * headDim + kvHead * group * headDim;
        for (int g = 0; g < group; g++) {
            s.max[g] = Float.NEGATIVE_INFINITY;
            s.sum[g] = 0;
            java.util.Arrays.fill(out, qBase + g * headDim, qBase + (g + 1) * headDim, 0f);
        }
        int firstKey = span == Integer.MAX_VALUE ? 0 : Math.max(0, p - span + 1);
        if (scheme.isPlain()) {
            accumulate(firstKey, p + 1, false, i, kvHead, queries, chunkKeys, start, cache, layer, out, s);
        } else {
            // Far keys [firstKey, firstNear) take grouped scores, near keys [firstNear, p] true ones;
            // the split keeps every tile on one side, so no tile computes both.
            int firstNear = Math.max(firstKey, p - scheme.window() + 1);
            int farEnd = Math.min(firstNear, scheme.farKeyLimit());
            accumulate(firstKey, farEnd, false, i, kvHead, groupedQueries, chunkKeys, start, cache, layer, out, s);
            accumulate(firstNear, p + 1, true, i, kvHead, queries, chunkKeys, start, cache, layer, out, s);
        }
        for (int g = 0; g < group; g++) {
            FloatArrays.scale(out, qBase + g * headDim, 1f / s.sum[g], headDim);
        }
    }

    /**
     * Online-softmax accumulation of keys {@code [from, to)} into the running state of the query heads
     * sharing {@code kvHead}. Near keys come from the batch (at or after {@code start}) or the window
     * ring; far keys from the cache's stored (grouped) keys.
     */
    private void accumulate(int from, int to, boolean near, int i, int kvHead, float[] querySource, float[] chunkKeys,
                            int start, KvCache cache, int layer, float[] out, Scratch s) {
        int group = heads / kvHeads;
        int kvDim = kvHeads * headDim;
        int qBase = i * heads * headDim + kvHead * group * headDim;
        int headOffset = kvHead * headDim;
        int stride = headDim; // between consecutive positions of one head in the cache and its ring
        float[] keys = cache.keys(layer);
        float[] values = cache.values(layer);
        float[] ring = cache.windowKeys(layer);
        int window = cache.scheme().window();
        float[] scores = s.scores;
        for (int t0 = from; t0 < to; t0 += TILE) {
            int t1 = Math.min(to, t0 + TILE);
            int len = t1 - t0;
            // The tile's keys in runs that lie contiguously in one array (the stored keys, the ring up
            // to its wrap, or the batch), so the scoring loop itself never branches on where a key is.
            for (int j = t0; j < t1; ) {
                float[] keySource;
                int keyOffset;
                int keyStride = stride;
                int runEnd = t1;
                if (!near) {
                    keySource = keys;
                    keyOffset = cache.offset(kvHead, j);
                } else if (j >= start) {
                    keySource = chunkKeys;
                    keyOffset = (j - start) * kvDim + headOffset;
                    keyStride = kvDim;
                } else {
                    // ring slot of key j is j % W
                    int slot = j % window;
                    keySource = ring;
                    keyOffset = cache.windowOffset(kvHead, slot);
                    runEnd = Math.min(runEnd, Math.min(start, j + window - slot));
                }
                // one pass over each key for every query head of the group
                FloatArrays.dotManyRows(querySource, qBase, headDim, group, keySource, keyOffset, keyStride, runEnd - j,
                        headDim, scores, j - t0, TILE);
                j = runEnd;
            }
            for (int g = 0; g < group; g++) {
                int o = g * TILE;
                if (softCap > 0) {
                    for (int t = 0; t < len; t++) {
                        scores[o + t] = softCap * (float) Math.tanh(scores[o + t] * scale / softCap);
                    }
                } else {
                    FloatArrays.scale(scores, o, scale, len);
                }
                float tileMax = FloatArrays.max(scores, o, len);
                float newMax = Math.max(s.max[g], tileMax);
                int accOffset = qBase + g * headDim;
                if (s.max[g] != Float.NEGATIVE_INFINITY && newMax > s.max[g]) {
                    float correction = (float) Math.exp(s.max[g] - newMax);
                    s.sum[g] *= correction;
                    FloatArrays.scale(out, accOffset, correction, headDim);
                }
                s.max[g] = newMax;
                s.sum[g] += FloatArrays.expShiftSum(scores, o, len, newMax);
            }
            // Each value row is read once for all the group's heads; per head the additions keep key order.
            FloatArrays.axpyManyRows(scores, 0, TILE, group, values, cache.offset(kvHead, t0), stride, len, out, qBase,
                    headDim, headDim);
        }
    }
}
