package dev.longlm.generate;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.KvCache;
import dev.longlm.attention.Rope;
import dev.longlm.attention.LlamaCppGroupedPositions;
import dev.longlm.attention.SelfExtend;
import dev.longlm.attention.StreamingWindow;
import dev.longlm.attention.PositionScheme;
import dev.longlm.model.DecodeRow;
import dev.longlm.model.InferenceState;
import dev.longlm.model.Model;
import dev.longlm.model.ModelConfig;
import dev.longlm.model.Transformer;
import dev.longlm.backend.cpu.Parallel;

import java.util.function.IntConsumer;

/**
 * One sequence being processed: a KV cache under a position scheme plus preallocated buffers.
 * Tokens are appended in chunks of at most {@code batchSize}; appending in any chunking gives the
 * same cache and logits as appending all at once, because every position is absolute.
 */
public final class Session {
    /** Receives the logits predicting the token after position {@code index} (of the appended tokens). */
    @FunctionalInterface
    public interface LogitsConsumer {
        void accept(int index, float[] logits, int offset);
    }

    private final Model model;
    private final ModelConfig config;
    private final ContextMethod method;
    private final Rope baseRope;
    private Transformer transformer;
    private final KvCache cache;
    private final Parallel pool;
    private final int batchSize;
    /** Tokens per decode call (llama.cpp's -b); only llama.cpp's Self-Extend acts between calls. */
    private int decodeCallSize = LLAMACPP_DEFAULT_BATCH;
    private InferenceState lastOnly;
    /** Reused by {@link #decode} so a decode step allocates no input array. */
    private final int[] decodeToken = new int[1];
    private InferenceState everyPosition;

    public Session(Model model, ContextMethod method, int capacity, int batchSize, Parallel pool) {
        this(model, null, method, capacity, batchSize, pool);
    }

    /**
     * A session whose forward pass is {@code transformer} (null: the model's, under the method's RoPE);
     * tests substitute one with altered weights.
     */
    public Session(Model model, Transformer transformer, ContextMethod method, int capacity, int batchSize, Parallel pool) {
        this.model = model;
        this.config = model.config();
        this.method = method;
        // The file's RoPE for this context (Phi-3 LongRoPE picks its factors by length), then the method's change.
        this.baseRope = model.ropeFor(capacity);
        this.transformer = transformer != null ? transformer
                : model.transformer(method.rope(baseRope, config.contextLength(), capacity));
        this.cache = new KvCache(config.layers(), config.kvDim(), capacity, method.positionScheme());
        this.pool = pool;
        this.batchSize = batchSize;
    }

    /** llama-completion's default -b. */
    public static final int LLAMACPP_DEFAULT_BATCH = 2048;

    /** Default prompt-processing batch: large enough for matrix × matrix kernels, small enough for the buffers. */
    public static final int DEFAULT_BATCH = 64;

    public static Session create(Model model, ContextMethod method, int capacity, Parallel pool) {
        return new Session(model, method, capacity, DEFAULT_BATCH, pool);
    }

    /** A session under a position scheme (plain or Self-Extend) with the model's own RoPE. */
    public static Session create(Model model, PositionScheme scheme, int capacity, Parallel pool) {
        return create(model, ContextMethod.of(scheme), capacity, pool);
    }

    /**
     * Splits appended tokens into decode calls of this size, as llama-completion's {@code -b} does;
     * under self-extend-llamacpp positions are regrouped before each call, so results depend on it.
     */
    public void setDecodeCallSize(int tokens) {
        if (tokens < 1) {
            throw new InputException("the batch size must be positive, got " + tokens);
        }
        this.decodeCallSize = tokens;
    }

    public ContextMethod method() {
        return method;
    }

    public ModelConfig config() {
        return config;
    }

    public KvCache cache() {
        return cache;
    }

    public int length() {
        return cache.length();
    }

    public int capacity() {
        return cache.capacity();
    }

    /** Appends tokens and returns the logits after the last one (a view valid until the next call). */
    public float[] append(int[] tokens, int offset, int count, IntConsumer progress) {
        checkRoom(count);
        if (lastOnly == null) {
            lastOnly = new InferenceState(config, batchSize, false);
        }
        forEachBatch(count, (done, n) -> {
            transformerFor(cache.length() + n).forward(tokens, offset + done, n, cache, lastOnly, pool);
            if (progress != null) {
                progress.accept(done + n);
            }
        });
        return lastOnly.logits();
    }

    public float[] append(int[] tokens) {
        return append(tokens, 0, tokens.length, null);
    }

    /** Appends one token (decoding) and returns the logits for the next. */
    public float[] decode(int token) {
        decodeToken[0] = token;
        return append(decodeToken, 0, 1, null);
    }

    /**
     * Readies this session's next one-token step inside a {@link BatchDecoder} batch, doing what
     * {@link #decode} does before its forward pass: the room check, llama.cpp's regrouping before a
     * decode call, and the RoPE for the length the sequence reaches.
     */
    DecodeRow nextDecodeRow(int token) {
        checkRoom(1);
        if (cache.scheme() instanceof LlamaCppGroupedPositions grouped) {
            grouped.beforeDecode(cache, baseRope);
        }
        return new DecodeRow(token, cache, transformerFor(cache.length() + 1));
    }

    /** Appends tokens and hands every position's logits to {@code consumer} in order. */
    public void appendScoring(int[] tokens, int offset, int count, LogitsConsumer consumer, IntConsumer progress) {
        checkRoom(count);
        if (everyPosition == null) {
            everyPosition = new InferenceState(config, batchSize, true);
        }
        int vocab = config.vocabSize();
        forEachBatch(count, (done, n) -> {
            transformerFor(cache.length() + n).forward(tokens, offset + done, n, cache, everyPosition, pool);
            for (int i = 0; i < n; i++) {
                consumer.accept(done + i, everyPosition.logits(), everyPosition.logitsOffset(i, vocab));
            }
            if (progress != null) {
                progress.accept(done + n);
            }
        });
    }

    private interface BatchStep {
        void run(int done, int n);
    }

    /** Decode calls of {@link #decodeCallSize}, each processed in forward batches of {@link #batchSize}. */
    private void forEachBatch(int count, BatchStep step) {
        for (int callStart = 0; callStart < count; ) {
            int callEnd = Math.min(count, callStart + decodeCallSize);
            if (cache.scheme() instanceof LlamaCppGroupedPositions grouped) {
                grouped.beforeDecode(cache, baseRope);
            }
            for (int done = callStart; done < callEnd; ) {
                int n = Math.min(batchSize, callEnd - done);
                step.run(done, n);
                done += n;
            }
            callStart = callEnd;
        }
    }

    /** Dynamic NTK recomputes its frequencies from the length the sequence reaches with this batch. */
    private Transformer transformerFor(int lengthAfterBatch) {
        if (method.ropeDependsOnLength()) {
            transformer = model.transformer(method.rope(baseRope, config.contextLength(), lengthAfterBatch));
        }
        return transformer;
    }

    public void clear() {
        cache.clear();
    }

    private void checkRoom(int count) {
        if (cache.length() + count > cache.capacity()) {
            throw new InputException("the input needs " + (cache.length() + count) + " positions but the context holds "
                    + cache.capacity() + "; raise --ctx, shorten the input, or enable Self-Extend (--group-size/--window)");
        }
    }
}
