package dev.longlm.backend.cpu;

import dev.longlm.attention.KeyRanges;

import java.util.Arrays;

/**
 * Causal multi-head attention under a position scheme's {@link KeyRanges}, fused into one pass over the
 * cache with an online softmax: keys are visited in tiles of {@link #TILE}, each query keeps a running
 * maximum, normaliser and weighted sum of values, so no score matrix is ever materialised.
 *
 * <p>Each key is scored once, with the rotation its range calls for ({@link KeyRanges}): far keys against
 * the query rotated to its far (grouped, clipped, inter-chunk) position, successive-chunk keys against
 * its successive-chunk position, near keys against its near (true or in-chunk) position. Every range is
 * its own run of tiles, so a tile takes one kind of score. The query heads that share a KV head are processed together, so each
 * cached key and value is read once per KV head (grouped-query attention).
 */
final class CpuAttention {
    /** Keys per tile of the online softmax. */
    static final int TILE = 64;

    private final Parallel pool;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    CpuAttention(Parallel pool) {
        this.pool = pool;
    }

    /** Per-thread buffers: scores of one tile and the running softmax state of each query head of a group. */
    private static final class Scratch {
        float[] scores = new float[0];
        float[] max = new float[0];
        float[] sum = new float[0];

        Scratch ensure(int group) {
            if (max.length < group) {
                scores = new float[group * TILE];
                max = new float[group];
                sum = new float[group];
            }
            return this;
        }
    }

    /** What one call attends: the batch rows, the store's layer and the scheme's ranges. */
    private record Call(float[] queries, float[] farQueries, float[] successiveQueries, float[] trueKeys, int row, int start,
                        CpuKvStore store, int layer, KeyRanges ranges, int span, float scale, float softCap, float[] out,
                        int heads) {
    }

    /**
     * Attention for the {@code n} queries at positions {@code start … start+n-1} (rows {@code row …} of
     * the query and output arrays) of one layer. The store must already hold keys (at their stored
     * positions) and values for positions up to {@code start+n-1}.
     *
     * @param queries    queries rotated to their near positions, {@code heads·headDim} per row
     * @param farQueries queries rotated to their far positions (ignored for plain ranges)
     * @param successiveQueries queries rotated to their successive-chunk positions (read only for chunked ranges)
     * @param trueKeys   this call's keys rotated to their true positions, {@code kvDim} per row from row
     *                   {@code row} (read only when the ranges take near keys from the ring); keys before
     *                   {@code start} come from the store's ring
     * @param span       keys farther than this are masked (sliding-window attention); {@code Integer.MAX_VALUE} for none
     * @param out        attention output, {@code heads·headDim} per row
     */
    void attend(float[] queries, float[] farQueries, float[] successiveQueries, float[] trueKeys, int row, int n, int start,
                CpuKvStore store, int layer, KeyRanges ranges, int span, float scale, float softCap, float[] out, int heads) {
        int kvHeads = store.kvHeads();
        Call call = new Call(queries, farQueries, successiveQueries, trueKeys, row, start, store, layer, ranges, span, scale,
                softCap, out, heads);
        pool.forRange(n * kvHeads, (from, to) -> {
            Scratch s = scratch.get().ensure(heads / kvHeads);
            for (int item = from; item < to; item++) {
                attendGroup(item / kvHeads, item % kvHeads, call, s);
            }
        });
    }

    private void attendGroup(int i, int kvHead, Call c, Scratch s) {
        int headDim = c.store.headDim();
        int group = c.heads / c.store.kvHeads();
        int p = c.start + i;
        int qBase = (c.row + i) * c.heads * headDim + kvHead * group * headDim;
        for (int g = 0; g < group; g++) {
            s.max[g] = Float.NEGATIVE_INFINITY;
            s.sum[g] = 0;
            Arrays.fill(c.out, qBase + g * headDim, qBase + (g + 1) * headDim, 0f);
        }
        int firstKey = c.span == Integer.MAX_VALUE ? 0 : Math.max(0, p - c.span + 1);
        KeyRanges ranges = c.ranges;
        if (ranges.plain()) {
            accumulate(firstKey, p + 1, false, i, kvHead, c.queries, c, s);
        } else {
            // Far keys [firstKey, farEnd) take far-query scores, successive keys [firstSuccessive, firstNear)
            // (chunked ranges only; empty otherwise) successive-query ones, near keys [firstNear, p] near ones.
            int firstNear = ranges.firstNearKey(p, firstKey);
            int firstSuccessive = ranges.firstSuccessiveKey(p, firstKey);
            accumulate(firstKey, ranges.farKeyEnd(firstSuccessive), false, i, kvHead, c.farQueries, c, s);
            accumulate(firstSuccessive, firstNear, false, i, kvHead, c.successiveQueries, c, s);
            accumulate(firstNear, p + 1, ranges.nearKeysFromRing(), i, kvHead, c.queries, c, s);
        }
        for (int g = 0; g < group; g++) {
            FloatArrays.scale(c.out, qBase + g * headDim, 1f / s.sum[g], headDim);
        }
    }

    /**
     * Online-softmax accumulation of keys {@code [from, to)} into the running state of the query heads
     * sharing {@code kvHead}. True-position keys come from the batch (at or after {@code start}) or the
     * ring; the others from the store's keys.
     */
    private void accumulate(int from, int to, boolean trueKeys, int i, int kvHead, float[] querySource, Call c, Scratch s) {
        CpuKvStore store = c.store;
        int headDim = store.headDim();
        int group = c.heads / store.kvHeads();
        int kvDim = store.kvHeads() * headDim;
        int qBase = (c.row + i) * c.heads * headDim + kvHead * group * headDim;
        int headOffset = kvHead * headDim;
        int stride = headDim; // between consecutive positions of one head in the store and its ring
        float[] keys = store.keys(c.layer);
        float[] values = store.values(c.layer);
        float[] ring = store.ring(c.layer);
        int slots = store.ringSlots();
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
                if (!trueKeys) {
                    keySource = keys;
                    keyOffset = store.offset(kvHead, j);
                } else if (j >= c.start) {
                    keySource = c.trueKeys;
                    keyOffset = (c.row + j - c.start) * kvDim + headOffset;
                    keyStride = kvDim;
                } else {
                    // ring slot of key j is j % W
                    int slot = j % slots;
                    keySource = ring;
                    keyOffset = store.ringOffset(kvHead, slot);
                    runEnd = Math.min(runEnd, Math.min(c.start, j + slots - slot));
                }
                // one pass over each key for every query head of the group
                FloatArrays.dotManyRows(querySource, qBase, headDim, group, keySource, keyOffset, keyStride, runEnd - j,
                        headDim, scores, j - t0, TILE);
                j = runEnd;
            }
            for (int g = 0; g < group; g++) {
                int o = g * TILE;
                if (c.softCap > 0) {
                    for (int t = 0; t < len; t++) {
                        scores[o + t] = c.softCap * (float) Math.tanh(scores[o + t] * c.scale / c.softCap);
                    }
                } else {
                    FloatArrays.scale(scores, o, c.scale, len);
                }
                float tileMax = FloatArrays.max(scores, o, len);
                float newMax = Math.max(s.max[g], tileMax);
                int accOffset = qBase + g * headDim;
                if (s.max[g] != Float.NEGATIVE_INFINITY && newMax > s.max[g]) {
                    float correction = (float) Math.exp(s.max[g] - newMax);
                    s.sum[g] *= correction;
                    FloatArrays.scale(c.out, accOffset, correction, headDim);
                }
                s.max[g] = newMax;
                s.sum[g] += FloatArrays.expShiftSum(scores, o, len, newMax);
            }
            // Each value row is read once for all the group's heads; per head the additions keep key order.
            FloatArrays.axpyManyRows(scores, 0, TILE, group, values, store.offset(kvHead, t0), stride, len, c.out, qBase,
                    headDim, headDim);
        }
    }
}
