package dev.longlm.model;

import dev.longlm.attention.PositionScheme;
import dev.longlm.attention.Rope;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvShape;
import dev.longlm.backend.KvStore;

/**
 * Runs the engine's attention path (RoPE, KV store, fused kernel: {@link CachedAttention}) on a backend
 * over raw queries, keys and values of {@code n} positions, given in chunks of {@code chunk}, as the
 * forward pass does; for tests that compare it with naive references or with another backend.
 */
public final class AttentionRun {
    private AttentionRun() {
    }

    /** Attention output of every position, {@code heads·headDim} per position. */
    public static float[] run(Backend backend, float[] q, float[] k, float[] v, int n, int heads, int kvHeads, int headDim,
                              Rope rope, PositionScheme scheme, int chunk, int span, float softCap) {
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        CachedAttention attention = new CachedAttention(backend, (float) (1 / Math.sqrt(headDim)), softCap);
        try (KvStore store = backend.kvStore(new KvShape(1, kvHeads, headDim, n, scheme.ringSlots()))) {
            Sequence sequence = new Sequence(store, scheme, rope, n);
            AttentionBuffers b = AttentionBuffers.allocate(backend, chunk, qDim, kvDim);
            float[] out = new float[n * qDim];
            for (int start = 0; start < n; start += chunk) {
                int m = Math.min(chunk, n - start);
                backend.write(java.util.Arrays.copyOfRange(q, start * qDim, (start + m) * qDim), b.queries(), m);
                backend.write(java.util.Arrays.copyOfRange(k, start * kvDim, (start + m) * kvDim), b.keys(), m);
                backend.write(java.util.Arrays.copyOfRange(v, start * kvDim, (start + m) * kvDim), b.values(), m);
                for (int i = 0; i < m; i++) {
                    CachedAttention.setPositions(sequence, start + i, i, b);
                }
                b.uploadPositions(backend, m);
                attention.forward(0, sequence, b, 0, m, start, span);
                store.setLength(start + m);
                System.arraycopy(backend.read(b.out(), m), 0, out, start * qDim, m * qDim);
            }
            return out;
        }
    }
}
