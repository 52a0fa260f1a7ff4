package dev.longlm.model;

import dev.longlm.attention.PositionScheme;
import dev.longlm.backend.Backend;
import dev.longlm.backend.Tensor;

import java.util.List;

/**
 * The decoder forward pass over a batch of consecutive positions (a prompt chunk, or one token when
 * decoding), for every {@link Architecture}, written once against a {@link Backend}'s operations.
 * Equations in order, the optional steps in brackets:
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
 * {@code down(gelu(up·h + b)) + b}. Attention ({@code attend}) rotates keys and queries to the
 * positions of the sequence's {@link PositionScheme} and runs the backend's fused kernel.
 */
public final class Transformer {
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Architecture arch;
    private final Backend backend;
    private final CachedAttention attention;
    /** Steps of at most this many rows (decoding) are offered to the backend for replay. */
    private static final int REPLAYED_ROWS = 8;

    /**
     * What makes two steps the same for a replaying backend: the same buffers, sequences (stores), RoPEs
     * and row count; only positions, tokens and lengths may differ. Compared by identity of its parts.
     */
    private record StepShape(InferenceState state, List<Sequence> sequences, List<?> ropes, int rows) {
    }

    /** The forward pass of {@code weights} on {@code backend}, which must have {@link Backend#load loaded} them. */
    public Transformer(ModelConfig config, ModelWeights weights, Backend backend) {
        this.config = config;
        this.weights = weights;
        this.arch = config.architecture();
        this.backend = backend;
        this.attention = new CachedAttention(backend, (float) (1.0 / Math.sqrt(config.headDim())), config.attentionSoftCap());
    }

    public Backend backend() {
        return backend;
    }

    /**
     * Runs {@code n} tokens at positions {@code sequence.length() …} through the model, appends their keys
     * and values to the sequence and returns the logits (every position's, or the last one's, as
     * {@code state} keeps them) on the host, valid until the next call.
     */
    public float[] forward(int[] tokens, int offset, int n, Sequence sequence, InferenceState state) {
        if (n > state.batchCapacity) {
            throw new IllegalArgumentException("batch of " + n + " exceeds state capacity " + state.batchCapacity);
        }
        int start = sequence.length();
        if (start + n > sequence.capacity()) {
            throw new IllegalArgumentException("positions up to " + (start + n) + " exceed the cache capacity " + sequence.capacity());
        }
        for (int i = 0; i < n; i++) {
            CachedAttention.setPositions(sequence, start + i, i, state.attention);
        }
        int first = state.allLogits ? 0 : n - 1;
        // Decoding-sized steps may be replayed by the backend (a GPU's graph); prompt chunks vary too much.
        Object shape = n <= REPLAYED_ROWS ? new StepShape(state, List.of(sequence), List.of(sequence.rope()), n) : null;
        backend.replay(shape, () -> {
            state.attention.uploadPositions(backend, n);
            backend.embed(weights.tokenEmbedding(), tokens, offset, n, state.residual);
            runLayers(n, state, layer -> attention.forward(layer, sequence, state.attention, 0, n, start, span(layer, sequence)));
            logits(first, n - first, state);
        });
        sequence.store().setLength(start + n);
        return backend.read(state.logits, n - first);
    }

    /**
     * One decode step for several sequences at once: row {@code i} appends {@code rows.get(i).token()} to
     * its own sequence. Every weight matrix is applied once to all rows (matrix × matrix, so the weights
     * are read once per step instead of once per sequence); attention runs per row against that row's
     * store, under its scheme and RoPE, so each row gets exactly what a single-sequence {@link #forward}
     * of its token would give. Returns every row's logits, row {@code i} at
     * {@code state.logitsOffset(i, vocabSize)}; {@code state} must keep every row's.
     */
    public float[] decodeBatch(List<DecodeRow> rows, InferenceState state) {
        int n = rows.size();
        if (!state.allLogits) {
            throw new IllegalArgumentException("a batched decode step needs a state that keeps every row's logits");
        }
        if (n > state.batchCapacity) {
            throw new IllegalArgumentException("batch of " + n + " exceeds state capacity " + state.batchCapacity);
        }
        int[] tokens = state.tokens;
        for (int i = 0; i < n; i++) {
            Sequence s = rows.get(i).sequence();
            if (s.length() + 1 > s.capacity()) {
                throw new IllegalArgumentException("row " + i + ": position " + s.length() + " exceeds the cache capacity " + s.capacity());
            }
            for (int j = 0; j < i; j++) {
                if (rows.get(j).sequence() == s) {
                    throw new IllegalArgumentException("rows " + j + " and " + i + " share a sequence; a sequence advances one token per step");
                }
            }
            tokens[i] = rows.get(i).token();
            CachedAttention.setPositions(s, s.length(), i, state.attention);
        }
        List<Sequence> sequences = new java.util.ArrayList<>(n);
        List<Object> ropes = new java.util.ArrayList<>(n);
        for (DecodeRow row : rows) {
            sequences.add(row.sequence());
            ropes.add(row.sequence().rope());
        }
        Object shape = n <= REPLAYED_ROWS ? new StepShape(state, sequences, ropes, n) : null;
        backend.replay(shape, () -> {
            state.attention.uploadPositions(backend, n);
            backend.embed(weights.tokenEmbedding(), tokens, 0, n, state.residual);
            runLayers(n, state, layer -> {
                for (int i = 0; i < n; i++) {
                    Sequence s = rows.get(i).sequence();
                    attention.forward(layer, s, state.attention, i, 1, s.length(), span(layer, s));
                }
            });
            logits(0, n, state);
        });
        for (DecodeRow row : rows) {
            row.sequence().store().setLength(row.sequence().length() + 1);
        }
        return backend.read(state.logits, n);
    }

    /** One layer's attention for the batch in {@code state}: from its queries, keys and values into its attention output. */
    @FunctionalInterface
    private interface AttentionStep {
        void attend(int layer);
    }

    /** Every layer over the {@code n} rows of {@code state.residual}; only the attention step differs between callers. */
    private void runLayers(int n, InferenceState state, AttentionStep attentionStep) {
        ModelConfig c = config;
        float eps = c.normEps();
        if (arch.embeddingScale()) {
            backend.scale(state.residual, n, (float) Math.sqrt(c.dim()));
        }
        for (int l = 0; l < c.layers(); l++) {
            LayerWeights w = weights.layers().get(l);
            norm(w.attentionNorm(), state.residual, state.normed, n);
            AttentionBuffers a = state.attention;
            linear(w.query(), state.normed, a.queries(), n);
            linear(w.key(), state.normed, a.keys(), n);
            linear(w.value(), state.normed, a.values(), n);
            if (w.queryNorm() != null) {
                backend.headRmsNorm(w.queryNorm(), eps, a.queries(), n);
            }
            if (w.keyNorm() != null) {
                backend.headRmsNorm(w.keyNorm(), eps, a.keys(), n);
            }
            attentionStep.attend(l);
            linear(w.attentionOutput(), a.out(), state.projected, n);
            if (w.attentionPostNorm() != null) {
                norm(w.attentionPostNorm(), state.projected, state.projected, n);
            }
            backend.add(state.projected, state.residual, n);

            if (!arch.parallelResidual()) {
                // Sequential blocks feed the FFN the updated residual; parallel ones reuse h.
                norm(w.ffnNorm(), state.residual, state.normed, n);
            }
            feedForward(w, n, state);
            if (w.ffnPostNorm() != null) {
                norm(w.ffnPostNorm(), state.projected, state.projected, n);
            }
            backend.add(state.projected, state.residual, n);
        }
    }

    /** Keys farther than this are masked in {@code layer}: the model's sliding window, unless the scheme replaces it. */
    private int span(int layer, Sequence sequence) {
        return config.attentionSpan(layer, sequence.scheme().replacesSlidingWindow());
    }

    /** Logits of {@code rows} rows of the residual stream from row {@code first}, into {@code state.logits}. */
    private void logits(int first, int rows, InferenceState state) {
        backend.copyRows(state.residual, first, state.projected, 0, rows);
        norm(weights.outputNorm(), state.projected, state.normed, rows);
        linear(weights.output(), state.normed, state.logits, rows);
        if (config.finalLogitSoftCap() > 0) {
            backend.softCap(state.logits, rows, config.finalLogitSoftCap());
        }
    }

    /** The feed-forward block from {@code state.normed} into {@code state.projected}. */
    private void feedForward(LayerWeights w, int n, InferenceState state) {
        linear(w.ffnUp(), state.normed, state.up, n);
        switch (arch.feedForward()) {
            case SWIGLU -> {
                linear(w.ffnGate(), state.normed, state.gate, n);
                backend.swiglu(state.gate, state.up, n);
            }
            case GEGLU -> {
                linear(w.ffnGate(), state.normed, state.gate, n);
                backend.geglu(state.gate, state.up, n);
            }
            case GELU_MLP -> backend.gelu(state.up, n);
        }
        linear(w.ffnDown(), state.up, state.projected, n);
    }

    private void linear(Linear w, Tensor x, Tensor out, int n) {
        backend.linear(w.weight(), w.bias(), x, out, n);
    }

    private void norm(NormWeights w, Tensor x, Tensor out, int n) {
        if (arch.norm() == Architecture.Norm.RMS) {
            backend.rmsNorm(w.weight(), config.normEps(), x, out, n);
        } else {
            backend.layerNorm(w.weight(), w.bias(), config.normEps(), x, out, n);
        }
    }
}
