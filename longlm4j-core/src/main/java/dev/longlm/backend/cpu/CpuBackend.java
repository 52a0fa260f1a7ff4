package dev.longlm.backend.cpu;

import dev.longlm.attention.KeyRanges;
import dev.longlm.attention.Rope;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvShape;
import dev.longlm.backend.KvStore;
import dev.longlm.backend.MemoryBudget;
import dev.longlm.backend.Positions;
import dev.longlm.backend.Tensor;
import dev.longlm.backend.WeightSet;
import dev.longlm.tensor.TensorData;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The CPU backend: weights read in place from the memory-mapped file by one {@link WeightMatrix} per
 * ggml type, activations and KV stores in heap arrays, products split over a {@link Parallel} pool whose
 * inputs of quantized weights are rounded as llama.cpp's CPU backend rounds them.
 */
public final class CpuBackend implements Backend {
    private final Parallel pool;
    private final boolean ownsPool;
    /** Round cached keys and values to F16 (as a GPU's F16 cache stores them), to compare backends at equal storage. */
    private final boolean f16Cache;
    private final CpuAttention attention;
    /** Each loaded weight's kernel, by the weight it was made from. */
    private final Map<TensorData, WeightMatrix> matrices = new IdentityHashMap<>();

    /** A backend on {@code threads} worker threads (the caller's thread is one of them). */
    public CpuBackend(int threads) {
        this(new Parallel(threads), true, false);
    }

    /**
     * A backend whose KV stores round every key and value to F16 as they are stored (kept in floats: no
     * memory is saved). It computes what a GPU's F16 cache computes, so the two can be compared at equal
     * storage rounding.
     */
    public static CpuBackend withF16Cache(int threads) {
        return new CpuBackend(new Parallel(threads), true, true);
    }

    private CpuBackend(Parallel pool, boolean ownsPool, boolean f16Cache) {
        this.pool = pool;
        this.ownsPool = ownsPool;
        this.f16Cache = f16Cache;
        this.attention = new CpuAttention(pool);
    }

    /** A backend on a pool the caller keeps (and closes). */
    public static CpuBackend on(Parallel pool) {
        return new CpuBackend(pool, false, false);
    }

    public Parallel pool() {
        return pool;
    }

    @Override
    public String describe() {
        return "cpu: " + pool.threads() + " threads, " + WeightMatrices.kernels() + " decode kernels";
    }

    /** 64 rows: the matmul kernels' tiles reuse each weight row over the batch while it is in L2. */
    @Override
    public int promptBatch() {
        return 64;
    }

    @Override
    public MemoryBudget memoryBudget() {
        Runtime rt = Runtime.getRuntime();
        return new MemoryBudget(rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()), "the Java heap",
                "raise the heap with -Xmx (e.g. LONGLM_JAVA_OPTS=-Xmx16g ./longlm ...)", Float.BYTES, false);
    }

    @Override
    public boolean holds(WeightSet weights) {
        return true; // weights stay in the mapped file; only the small vectors are on the heap, already
    }

    @Override
    public void load(WeightSet weights) {
        for (TensorData t : weights.matrices()) {
            matrices.computeIfAbsent(t, CpuBackend::kernel);
        }
    }

    private static WeightMatrix kernel(TensorData t) {
        return WeightMatrices.of(t.type(), t.bytes(), t.rows(), t.cols());
    }

    /** The kernel of {@code t}: loaded ones from the map, others (tests' ad-hoc weights) made on the spot. */
    WeightMatrix matrix(TensorData t) {
        WeightMatrix m = matrices.get(t);
        return m != null ? m : kernel(t);
    }

    @Override
    public Tensor tensor(int rows, int width) {
        return new CpuTensor(rows, width);
    }

    /** Positions on the host are already where the CPU kernels read them. */
    private record HostPositions(double[] host) implements Positions {
    }

    @Override
    public Positions positions(int rows) {
        return new HostPositions(new double[rows]);
    }

    @Override
    public void upload(Positions positions, int rows) {
    }

    @Override
    public KvStore kvStore(KvShape shape) {
        return new CpuKvStore(shape, f16Cache);
    }

    private static CpuTensor host(Tensor t) {
        return (CpuTensor) t;
    }

    private static CpuKvStore host(KvStore s) {
        return (CpuKvStore) s;
    }

    @Override
    public void embed(TensorData table, int[] tokens, int offset, int n, Tensor out) {
        WeightMatrix m = matrix(table);
        CpuTensor o = host(out);
        for (int i = 0; i < n; i++) {
            m.dequantizeRow(tokens[offset + i], o.data(), o.offset(i));
        }
    }

    @Override
    public void scale(Tensor x, int n, float factor) {
        CpuTensor t = host(x);
        FloatArrays.scale(t.data(), 0, factor, n * t.width());
    }

    @Override
    public void rmsNorm(float[] weight, float eps, Tensor x, Tensor out, int n) {
        CpuTensor in = host(x);
        CpuTensor o = host(out);
        for (int i = 0; i < n; i++) {
            FloatArrays.rmsNorm(in.data(), in.offset(i), weight, eps, o.data(), o.offset(i), in.width());
        }
    }

    @Override
    public void layerNorm(float[] weight, float[] bias, float eps, Tensor x, Tensor out, int n) {
        CpuTensor in = host(x);
        CpuTensor o = host(out);
        for (int i = 0; i < n; i++) {
            FloatArrays.layerNorm(in.data(), in.offset(i), weight, bias, eps, o.data(), o.offset(i), in.width());
        }
    }

    @Override
    public void headRmsNorm(float[] weight, float eps, Tensor x, int n) {
        CpuTensor t = host(x);
        int headDim = weight.length;
        for (int h = 0, count = n * t.width() / headDim; h < count; h++) {
            FloatArrays.rmsNorm(t.data(), h * headDim, weight, eps, t.data(), h * headDim, headDim);
        }
    }

    @Override
    public void linear(TensorData weight, float[] bias, Tensor x, Tensor out, int n) {
        CpuTensor o = host(out);
        pool.matmul(matrix(weight), host(x).data(), n, o.data());
        if (bias != null) {
            for (int i = 0; i < n; i++) {
                FloatArrays.add(bias, 0, o.data(), i * bias.length, bias.length);
            }
        }
    }

    @Override
    public void add(Tensor from, Tensor into, int n) {
        CpuTensor t = host(into);
        FloatArrays.add(host(from).data(), 0, t.data(), 0, n * t.width());
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, int n) {
        float[] g = host(gate).data();
        float[] u = host(up).data();
        for (int i = 0, count = n * host(up).width(); i < count; i++) {
            u[i] *= silu(g[i]);
        }
    }

    @Override
    public void geglu(Tensor gate, Tensor up, int n) {
        float[] g = host(gate).data();
        float[] u = host(up).data();
        for (int i = 0, count = n * host(up).width(); i < count; i++) {
            u[i] *= Gelu.apply(g[i]);
        }
    }

    @Override
    public void gelu(Tensor x, int n) {
        float[] u = host(x).data();
        for (int i = 0, count = n * host(x).width(); i < count; i++) {
            u[i] = Gelu.apply(u[i]);
        }
    }

    private static float silu(float x) {
        return x / (1f + (float) Math.exp(-x));
    }

    @Override
    public void softCap(Tensor x, int n, float cap) {
        float[] v = host(x).data();
        for (int i = 0, count = n * host(x).width(); i < count; i++) {
            v[i] = cap * (float) Math.tanh(v[i] / cap);
        }
    }

    @Override
    public void copyRows(Tensor from, int fromRow, Tensor to, int toRow, int n) {
        CpuTensor f = host(from);
        CpuTensor t = host(to);
        System.arraycopy(f.data(), f.offset(fromRow), t.data(), t.offset(toRow), n * f.width());
    }

    @Override
    public void rope(Rope rope, Tensor src, Tensor dst, int row, int n, Positions positions) {
        CpuTensor s = host(src);
        CpuTensor d = host(dst);
        double[] at = positions.host();
        int heads = s.width() / rope.headDim();
        for (int r = row; r < row + n; r++) {
            rope.rotate(s.data(), s.offset(r), d.data(), d.offset(r), heads, at[r]);
        }
    }

    @Override
    public void storeKv(KvStore store, int layer, Tensor keys, Tensor values, int row, int n, int position) {
        CpuKvStore kv = host(store);
        CpuTensor k = host(keys);
        CpuTensor v = host(values);
        for (int i = 0; i < n; i++) {
            kv.put(kv.keys(layer), position + i, k.data(), k.offset(row + i));
            kv.put(kv.values(layer), position + i, v.data(), v.offset(row + i));
        }
    }

    @Override
    public void storeRingKeys(KvStore store, int layer, Tensor keys, int row, int n, int position) {
        CpuKvStore kv = host(store);
        CpuTensor k = host(keys);
        for (int i = 0; i < n; i++) {
            kv.putRingKey(layer, position + i, k.data(), k.offset(row + i));
        }
    }

    @Override
    public void attend(KvStore store, int layer, KeyRanges ranges, Tensor queries, Tensor farQueries, Tensor successiveQueries,
                       Tensor trueKeys, int row, int n, int start, int span, float scale, float softCap, Tensor out) {
        CpuTensor q = host(queries);
        float[] batchKeys = host(trueKeys).data();
        if (f16Cache && ranges.nearKeysFromRing()) {
            // This call's own true-position keys as the F16 ring would hand them back.
            batchKeys = batchKeys.clone();
            for (int i = row * trueKeys.width(); i < (row + n) * trueKeys.width(); i++) {
                batchKeys[i] = dev.longlm.tensor.HalfFloat.f16ToF32(dev.longlm.tensor.HalfFloat.f32ToF16(batchKeys[i]));
            }
        }
        attention.attend(q.data(), host(farQueries).data(), host(successiveQueries).data(), batchKeys, row, n, start,
                host(store), layer, ranges, span, scale, softCap, host(out).data(), q.width() / host(store).headDim());
    }

    @Override
    public void readKv(KvStore store, dev.longlm.backend.KvArray array, int layer, int first, int n,
                       java.lang.foreign.MemorySegment host) {
        host(store).copy(array, layer, first, n, host, true);
    }

    @Override
    public void writeKv(KvStore store, dev.longlm.backend.KvArray array, int layer, int first, int n,
                        java.lang.foreign.MemorySegment host) {
        host(store).copy(array, layer, first, n, host, false);
    }

    @Override
    public void rotateStoredKeys(KvStore store, Rope rope, int from, double[] deltas) {
        CpuKvStore kv = host(store);
        for (int i = 0; i < deltas.length; i++) {
            if (deltas[i] == 0) {
                continue;
            }
            for (int layer = 0; layer < kv.layers(); layer++) {
                float[] keys = kv.keys(layer);
                for (int h = 0; h < kv.kvHeads(); h++) {
                    int offset = kv.offset(h, from + i);
                    rope.rotate(keys, offset, keys, offset, 1, deltas[i]);
                }
            }
        }
    }

    @Override
    public void write(float[] host, Tensor t, int rows) {
        System.arraycopy(host, 0, host(t).data(), 0, rows * t.width());
    }

    @Override
    public float[] read(Tensor t, int rows) {
        return host(t).data();
    }

    @Override
    public void close() {
        if (ownsPool) {
            pool.close();
        }
    }
}
