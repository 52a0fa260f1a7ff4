package dev.longlm.model;

import dev.longlm.attention.CachedAttention;
import dev.longlm.attention.KvCache;
import dev.longlm.attention.Rope;
import dev.longlm.tensor.FloatArrays;
import dev.longlm.tensor.Parallel;

/**
 * The decoder forward pass over a batch of consecutive positions (a prompt chunk, or one token when
 * decoding). Equations in order: embedding; per layer RMSNorm → Q, K, V → RoPE → attention →
 * output projection + residual → RMSNorm → SwiGLU FFN + residual; final norm → logits.
 */
public final class Transformer {
    private final ModelConfig config;
    private final ModelWeights weights;
    private final CachedAttention attention;

    public Transformer(ModelConfig config, ModelWeights weights, Rope rope) {
        this.config = config;
        this.weights = weights;
        this.attention = new CachedAttention(rope, config.heads(), config.kvHeads(), config.headDim(),
                (float) (1.0 / Math.sqrt(config.headDim())), 0f);
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * Runs {@code n} tokens at positions {@code cache.length() …} through the model, appends their keys
     * and values to the cache and leaves logits in {@code state} (every position's, or the last one's).
     */
    public void forward(int[] tokens, int offset, int n, KvCache cache, InferenceState state, Parallel pool) {
        if (n > state.batchCapacity) {
            throw new IllegalArgumentException("batch of " + n + " exceeds state capacity " + state.batchCapacity);
        }
        int start = cache.length();
        if (start + n > cache.capacity()) {
            throw new IllegalArgumentException("positions up to " + (start + n) + " exceed the cache capacity " + cache.capacity());
        }
        ModelConfig c = config;
        int dim = c.dim();
        for (int i = 0; i < n; i++) {
            weights.tokenEmbedding().dequantizeRow(tokens[offset + i], state.residual, i * dim);
        }
        for (int l = 0; l < c.layers(); l++) {
            LayerWeights w = weights.layers().get(l);
            for (int i = 0; i < n; i++) {
                FloatArrays.rmsNorm(state.residual, i * dim, w.attentionNorm(), c.normEps(), state.normed, i * dim, dim);
            }
            pool.matmul(w.query(), state.normed, n, state.queries);
            pool.matmul(w.key(), state.normed, n, state.keys);
            pool.matmul(w.value(), state.normed, n, state.values);
            addBias(state.queries, w.queryBias(), n);
            addBias(state.keys, w.keyBias(), n);
            addBias(state.values, w.valueBias(), n);
            attention.forward(l, n, start, state.queries, state.groupedQueries, state.keys, state.values,
                    Integer.MAX_VALUE, cache, state.attention, pool);
            pool.matmul(w.attentionOutput(), state.attention, n, state.projected);
            FloatArrays.add(state.projected, 0, state.residual, 0, n * dim);

            for (int i = 0; i < n; i++) {
                FloatArrays.rmsNorm(state.residual, i * dim, w.ffnNorm(), c.normEps(), state.normed, i * dim, dim);
            }
            pool.matmul(w.ffnGate(), state.normed, n, state.gate);
            pool.matmul(w.ffnUp(), state.normed, n, state.up);
            swiglu(state.gate, state.up, n * c.ffnDim());
            pool.matmul(w.ffnDown(), state.gate, n, state.projected);
            FloatArrays.add(state.projected, 0, state.residual, 0, n * dim);
        }
        cache.setLength(start + n);
        int first = state.allLogits ? 0 : n - 1;
        for (int i = first; i < n; i++) {
            FloatArrays.rmsNorm(state.residual, i * dim, weights.outputNorm(), c.normEps(), state.normed, (i - first) * dim, dim);
        }
        pool.matmul(weights.output(), state.normed, n - first, state.logits);
    }

    private void addBias(float[] rows, float[] bias, int n) {
        if (bias == null) {
            return;
        }
        for (int i = 0; i < n; i++) {
            FloatArrays.add(bias, 0, rows, i * bias.length, bias.length);
        }
    }

    /** SwiGLU: {@code gate = silu(gate) · up}. */
    private static void swiglu(float[] gate, float[] up, int count) {
        for (int i = 0; i < count; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }
}
