package dev.longlm.bench;

import dev.longlm.attention.CachedAttention;
import dev.longlm.attention.KvCache;
import dev.longlm.attention.PositionScheme;
import dev.longlm.attention.Rope;
import dev.longlm.attention.RopeLayout;
import dev.longlm.attention.SelfExtend;
import dev.longlm.backend.cpu.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One attention layer shaped like Llama-3.2-1B's (32 query heads, 8 KV heads, head dim 64):
 * decoding one token against 4096 cached positions, and prefilling 4096 positions in batches of 64,
 * under plain attention and Self-Extend (G=16, W=64 by default; any G, W via -p).
 * Run with {@code tools/jmh.sh AttentionBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AttentionBenchmark {
    private static final int HEADS = 32;
    private static final int KV_HEADS = 8;
    private static final int HEAD_DIM = 64;
    private static final int CONTEXT = 4096;
    private static final int BATCH = 64;

    @Param({"plain", "self-extend"})
    public String scheme;

    @Param({"16"})
    public int groupSize;

    @Param({"64"})
    public int window;

    @Param({"2"})
    public int threads;

    private Parallel pool;
    private CachedAttention attention;
    private KvCache cache;
    private float[] queries;
    private float[] groupedQueries;
    private float[] keys;
    private float[] values;
    private float[] out;
    private float[] batchQueries;
    private float[] batchKeys;
    private float[] batchValues;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new Parallel(threads);
        PositionScheme positions = scheme.equals("plain") ? SelfExtend.NONE : SelfExtend.of(groupSize, window);
        Rope rope = Rope.standard(HEAD_DIM, HEAD_DIM, RopeLayout.ADJACENT_PAIRS, 500000);
        attention = new CachedAttention(rope, HEADS, KV_HEADS, HEAD_DIM, (float) (1 / Math.sqrt(HEAD_DIM)), 0f);
        cache = new KvCache(1, KV_HEADS * HEAD_DIM, CONTEXT + 1, positions);
        Random rnd = new Random(1);
        queries = random(rnd, BATCH * HEADS * HEAD_DIM);
        groupedQueries = new float[BATCH * HEADS * HEAD_DIM];
        keys = random(rnd, BATCH * KV_HEADS * HEAD_DIM);
        values = random(rnd, BATCH * KV_HEADS * HEAD_DIM);
        out = new float[BATCH * HEADS * HEAD_DIM];
        batchQueries = queries.clone();
        batchKeys = keys.clone();
        batchValues = values.clone();
        prefill();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    /** Attention for one new token at position 4096 (the cache holds 4096 positions). */
    @Benchmark
    public float decodeAt4096() {
        cache.setLength(CONTEXT);
        System.arraycopy(batchQueries, 0, queries, 0, HEADS * HEAD_DIM);
        System.arraycopy(batchKeys, 0, keys, 0, KV_HEADS * HEAD_DIM);
        attention.forward(0, 1, CONTEXT, queries, groupedQueries, keys, values, Integer.MAX_VALUE, cache, out, pool);
        return out[0];
    }

    /** Attention over a 4096-token prompt processed in batches of 64 (projections excluded). */
    @Benchmark
    @Measurement(iterations = 3, time = 5)
    public float prefill4096() {
        return prefill();
    }

    private float prefill() {
        cache.clear();
        for (int start = 0; start < CONTEXT; start += BATCH) {
            System.arraycopy(batchQueries, 0, queries, 0, queries.length);
            System.arraycopy(batchKeys, 0, keys, 0, keys.length);
            attention.forward(0, BATCH, start, queries, groupedQueries, keys, batchValues, Integer.MAX_VALUE, cache, out, pool);
            cache.setLength(start + BATCH);
        }
        return out[0];
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
