package dev.longlm.bench;

import dev.longlm.attention.PositionScheme;
import dev.longlm.attention.Rope;
import dev.longlm.attention.RopeLayout;
import dev.longlm.attention.SelfExtend;
import dev.longlm.backend.KvShape;
import dev.longlm.backend.KvStore;
import dev.longlm.backend.cpu.CpuBackend;
import dev.longlm.model.AttentionBuffers;
import dev.longlm.model.CachedAttention;
import dev.longlm.model.Sequence;
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

    private CpuBackend backend;
    private CachedAttention attention;
    private KvStore store;
    private Sequence sequence;
    private AttentionBuffers buffers;
    private float[] batchQueries;
    private float[] batchKeys;
    private float[] batchValues;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new CpuBackend(threads);
        PositionScheme positions = scheme.equals("plain") ? PositionScheme.PLAIN : SelfExtend.of(groupSize, window);
        Rope rope = Rope.standard(HEAD_DIM, HEAD_DIM, RopeLayout.ADJACENT_PAIRS, 500000);
        attention = new CachedAttention(backend, (float) (1 / Math.sqrt(HEAD_DIM)), 0f);
        store = backend.kvStore(new KvShape(1, KV_HEADS, HEAD_DIM, CONTEXT + 1, positions.ringSlots()));
        sequence = new Sequence(store, positions, rope, CONTEXT + 1);
        buffers = AttentionBuffers.allocate(backend, BATCH, HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM);
        Random rnd = new Random(1);
        batchQueries = random(rnd, BATCH * HEADS * HEAD_DIM);
        batchKeys = random(rnd, BATCH * KV_HEADS * HEAD_DIM);
        batchValues = random(rnd, BATCH * KV_HEADS * HEAD_DIM);
        prefill();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    /** Attention for one new token at position 4096 (the cache holds 4096 positions). */
    @Benchmark
    public float decodeAt4096() {
        store.setLength(CONTEXT);
        load(1, CONTEXT);
        attention.forward(0, sequence, buffers, 0, 1, CONTEXT, Integer.MAX_VALUE);
        return backend.read(buffers.out(), 1)[0];
    }

    /** Attention over a 4096-token prompt processed in batches of 64 (projections excluded). */
    @Benchmark
    @Measurement(iterations = 3, time = 5)
    public float prefill4096() {
        return prefill();
    }

    private float prefill() {
        sequence.clear();
        for (int start = 0; start < CONTEXT; start += BATCH) {
            load(BATCH, start);
            attention.forward(0, sequence, buffers, 0, BATCH, start, Integer.MAX_VALUE);
            store.setLength(start + BATCH);
        }
        return backend.read(buffers.out(), 1)[0];
    }

    /** Raw queries, keys and values of {@code rows} rows at positions {@code start …} into the buffers. */
    private void load(int rows, int start) {
        backend.write(batchQueries, buffers.queries(), rows);
        backend.write(batchKeys, buffers.keys(), rows);
        backend.write(batchValues, buffers.values(), rows);
        for (int i = 0; i < rows; i++) {
            CachedAttention.setPositions(sequence, start + i, i, buffers);
        }
        buffers.uploadPositions(backend, rows);
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
