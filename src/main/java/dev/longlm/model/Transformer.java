package dev.longlm.model;

import dev.longlm.attention.CachedAttention;
import dev.longlm.attention.KvCache;
import dev.longlm.attention.Rope;
import dev.longlm.backend.cpu.FloatArrays;
import dev.longlm.backend.cpu.Parallel;

import java.util.List;

/**
 * The decoder forward pass over a batch of consecutive positions (a prompt chunk, or one token when
 * decoding), for every {@link Architecture}. Equations in order, the optional steps in brackets:
 * <pre>
 *   x = embed(token) [· √dim]
 *   per layer:
 *     h = norm(x)                                   RMSNorm, or LayerNorm with bias
 *     q, k, v = Wq·h [+bq], Wk·h [+bk], Wv·h [+bv]  (fused QKV is split at load time)
 *     [q, k = rmsNorm per head]                     Qwen 3
 *     a = attention(rope(q), rope(k), v)            over the layer's span, scores [soft-capped]
 *     a = Wo·a [+bo], [postNorm(a)]                 Gemma 2 post-norm
 *     parallel:   x = x + a + ffn(h)                Phi-2
 *     sequential: x = x + a;  x = x + [postNorm] ffn(norm(x))
 *   logits = Wout·norm(x) [+b], [soft-capped]
 * </pre>
 * where {@code ffn} is {@code down(silu(gate·h) ⊙ up·h)}, {@code down(gelu(gate·h) ⊙ up·h)} or
 * {@code down(gelu(up·h + b)) + b}.
 */
public final class Transformer {
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Architecture arch;
    private final CachedAttention attention;

    public Transformer(ModelConfig config, ModelWeights weights, Rope rope) {
        this.config = config;
        this.weights = weights;
        this.arch = config.architecture();
        this.attention = new CachedAttention(rope, config.heads(), config.kvHeads(), config.headDim(),
                (float) (1.0 / Math.sqrt(config.headDim())), config.attentionSoftCap());
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
        boolean selfExtend = !cache.scheme().isPlain();
        for (int i = 0; i < n; i++) {
            weights.tokenEmbedding().dequantizeRow(tokens[offset + i], state.residual, i * dim);
        }
        if (arch.embeddingScale()) {
            FloatArrays.scale(state.residual, 0, (float) Math.sqrt(dim), n * dim);
        }
        runLayers(n, state, pool, l -> attention.forward(l, n, start, state.queries, state.groupedQueries, state.keys,
                state.values, c.attentionSpan(l, selfExtend), cache, state.attention, pool));
        cache.setLength(start + n);
        int first = state.allLogits ? 0 : n - 1;
        logits(first, n - first, state, pool);
    }

    /**
     * One decode step for several sequences at once: row {@code i} appends {@code rows.get(i).token()} at
     * position {@code cache.length()} of its own cache. Every weight matrix is applied once to all rows
     * (matrix × matrix, so the weights are read once per step instead of once per sequence); attention
     * runs per row against that row's cache, under its position scheme and its forward pass's RoPE, so
     * each row gets exactly what a single-sequence {@link #forward} of its token would give. Logits of
     * row {@code i} are left at {@code state.logitsOffset(i, vocabSize)}; {@code state} needs every row's.
     */
    public void decodeBatch(List<DecodeRow> rows, InferenceState state, Parallel pool) {
        int n = rows.size();
        if (!state.allLogits) {
            throw new IllegalArgumentException("a batched decode step needs a state that keeps every row's logits");
        }
        if (n > state.batchCapacity) {
            throw new IllegalArgumentException("batch of " + n + " exceeds state capacity " + state.batchCapacity);
        }
        for (int i = 0; i < n; i++) {
            DecodeRow row = rows.get(i);
            if (row.transformer().weights != weights) {
                throw new IllegalArgumentException("row " + i + " belongs to another model's weights");
            }
            if (row.cache().length() + 1 > row.cache().capacity()) {
                throw new IllegalArgumentException("row " + i + ": position " + row.cache().length()
                        + " exceeds the cache capacity " + row.cache().capacity());
            }
            for (int j = 0; j < i; j++) {
                if (rows.get(j).cache() == row.cache()) {
                    throw new IllegalArgumentException("rows " + j + " and " + i + " share a cache; a sequence advances one token per step");
                }
            }
        }
        int dim = config.dim();
        for (int i = 0; i < n; i++) {
            weights.tokenEmbedding().dequantizeRow(rows.get(i).token(), state.residual, i * dim);
        }
        if (arch.embeddingScale()) {
            FloatArrays.scale(state.residual, 0, (float) Math.sqrt(dim), n * dim);
        }
        runLayers(n, state, pool, l -> attendRows(l, rows, state, pool));
        for (DecodeRow row : rows) {
            row.cache().setLength(row.cache().length() + 1);
        }
        logits(0, n, state, pool);
    }

    /**
     * Attention of each row against its own cache. The kernel reads a batch from offset 0, so each row's
     * query, key and value are copied into one-row buffers, attended, and the output copied back.
     */
    private void attendRows(int layer, List<DecodeRow> rows, InferenceState state, Parallel pool) {
        int qDim = config.queryDim();
        int kvDim = config.kvDim();
        for (int i = 0; i < rows.size(); i++) {
            DecodeRow row = rows.get(i);
            KvCache cache = row.cache();
            System.arraycopy(state.queries, i * qDim, state.rowQueries, 0, qDim);
            System.arraycopy(state.keys, i * kvDim, state.rowKeys, 0, kvDim);
            System.arraycopy(state.values, i * kvDim, state.rowValues, 0, kvDim);
            row.transformer().attention.forward(layer, 1, cache.length(), state.rowQueries, state.rowGroupedQueries,
                    state.rowKeys, state.rowValues, config.attentionSpan(layer, !cache.scheme().isPlain()), cache,
                    state.rowAttention, pool);
            System.arraycopy(state.rowAttention, 0, state.attention, i * qDim, qDim);
        }
    }

    /** One layer's attention for the batch in {@code state}: from its queries, keys and values into {@code state.attention}. */
    @FunctionalInterface
    private interface AttentionStep {
        void attend(int layer);
    }

    /** Every layer over the {@code n} rows of {@code state.residual}; only the attention step differs between callers. */
    private void runLayers(int n, InferenceState state, Parallel pool, AttentionStep attentionStep) {
        ModelConfig c = config;
        int dim = c.dim();
        float eps = c.normEps();
        for (int l = 0; l < c.layers(); l++) {
            LayerWeights w = weights.layers().get(l);
            w.attentionNorm().apply(arch.norm(), eps, state.residual, state.normed, n, dim);
            w.query().apply(pool, state.normed, n, state.queries);
            w.key().apply(pool, state.normed, n, state.keys);
            w.value().apply(pool, state.normed, n, state.values);
            if (w.queryNorm() != null) {
                headNorm(state.queries, w.queryNorm(), n * c.heads(), c.headDim(), eps);
            }
            if (w.keyNorm() != null) {
                headNorm(state.keys, w.keyNorm(), n * c.kvHeads(), c.headDim(), eps);
            }
            attentionStep.attend(l);
            w.attentionOutput().apply(pool, state.attention, n, state.projected);
            if (w.attentionPostNorm() != null) {
                w.attentionPostNorm().apply(arch.norm(), eps, state.projected, state.projected, n, dim);
            }
            FloatArrays.add(state.projected, 0, state.residual, 0, n * dim);

            if (!arch.parallelResidual()) {
                // Sequential blocks feed the FFN the updated residual; parallel ones reuse h.
                w.ffnNorm().apply(arch.norm(), eps, state.residual, state.normed, n, dim);
            }
            feedForward(w, n, state, pool);
            if (w.ffnPostNorm() != null) {
                w.ffnPostNorm().apply(arch.norm(), eps, state.projected, state.projected, n, dim);
            }
            FloatArrays.add(state.projected, 0, state.residual, 0, n * dim);
        }
    }

    /** Logits of {@code rows} rows of the residual stream from row {@code first}, into {@code state.logits}. */
    private void logits(int first, int rows, InferenceState state, Parallel pool) {
        ModelConfig c = config;
        int dim = c.dim();
        float eps = c.normEps();
        System.arraycopy(state.residual, first * dim, state.projected, 0, rows * dim);
        weights.outputNorm().apply(arch.norm(), eps, state.projected, state.normed, rows, dim);
        weights.output().apply(pool, state.normed, rows, state.logits);
        if (c.finalLogitSoftCap() > 0) {
            softCap(state.logits, rows * c.vocabSize(), c.finalLogitSoftCap());
        }
    }

    /** The feed-forward block from {@code state.normed} into {@code state.projected}. */
    private void feedForward(LayerWeights w, int n, InferenceState state, Parallel pool) {
        int count = n * config.ffnDim();
        w.ffnUp().apply(pool, state.normed, n, state.up);
        switch (arch.feedForward()) {
            case SWIGLU -> {
                w.ffnGate().apply(pool, state.normed, n, state.gate);
                for (int i = 0; i < count; i++) {
                    state.up[i] *= silu(state.gate[i]);
                }
            }
            case GEGLU -> {
                w.ffnGate().apply(pool, state.normed, n, state.gate);
                for (int i = 0; i < count; i++) {
                    state.up[i] *= Gelu.apply(state.gate[i]);
                }
            }
            case GELU_MLP -> {
                for (int i = 0; i < count; i++) {
                    state.up[i] = Gelu.apply(state.up[i]);
                }
            }
        }
        w.ffnDown().apply(pool, state.up, n, state.projected);
    }

    /** RMSNorm of each of {@code count} head vectors of {@code headDim} values, in place (Qwen 3's Q/K norm). */
    private static void headNorm(float[] heads, float[] weight, int count, int headDim, float eps) {
        for (int h = 0; h < count; h++) {
            FloatArrays.rmsNorm(heads, h * headDim, weight, eps, heads, h * headDim, headDim);
        }
    }

    private static void softCap(float[] values, int count, float cap) {
        for (int i = 0; i < count; i++) {
            values[i] = cap * (float) Math.tanh(values[i] / cap);
        }
    }

    private static float silu(float x) {
        return x / (1f + (float) Math.exp(-x));
    }
}
