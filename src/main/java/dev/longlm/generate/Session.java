package dev.longlm.generate;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.PositionScheme;
import dev.longlm.attention.Rope;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvShape;
import dev.longlm.backend.KvStore;
import dev.longlm.model.DecodeRow;
import dev.longlm.model.InferenceState;
import dev.longlm.model.Model;
import dev.longlm.model.ModelConfig;
import dev.longlm.model.Sequence;
import dev.longlm.model.Transformer;

import java.util.function.IntConsumer;

/**
 * One sequence being processed on a backend: a {@link Sequence} (KV store, position scheme, RoPE)
 * plus preallocated buffers. Tokens are appended in chunks of at most {@code batchSize}; appending in
 * any chunking gives the same cache and logits as appending all at once, because every position is
 * absolute.
 */
public final class Session implements AutoCloseable {
    /** Receives the logits predicting the token after position {@code index} (of the appended tokens). */
    @FunctionalInterface
    public interface LogitsConsumer {
        void accept(int index, float[] logits, int offset);
    }

    private final ModelConfig config;
    private final ContextMethod method;
    private final Rope baseRope;
    private final Transformer transformer;
    private final Sequence sequence;
    /** Whether the store was made for this session (and is freed with it) rather than lent by a pool. */
    private final boolean ownsStore;
    private final int batchSize;
    /** Tokens per decode call (llama.cpp's -b); only llama.cpp's Self-Extend acts between calls. */
    private int decodeCallSize = LLAMACPP_DEFAULT_BATCH;
    private InferenceState lastOnly;
    /** Reused by {@link #decode} so a decode step allocates no input array. */
    private final int[] decodeToken = new int[1];
    private InferenceState everyPosition;

    /** A session with a new KV store of {@code capacity} positions on {@code backend}. */
    public Session(Model model, Backend backend, ContextMethod method, int capacity, int batchSize) {
        this(model, backend, method, backend.kvStore(shape(model.config(), capacity, method.positionScheme())), capacity, batchSize,
                true);
    }

    /**
     * A session of {@code capacity} positions over an existing store that holds at least as many (the
     * server keeps one per slot), which is emptied. The store must belong to {@code backend}.
     */
    public Session(Model model, Backend backend, ContextMethod method, KvStore store, int capacity, int batchSize) {
        this(model, backend, method, store, capacity, batchSize, false);
    }

    private Session(Model model, Backend backend, ContextMethod method, KvStore store, int capacity, int batchSize,
                    boolean ownsStore) {
        this.ownsStore = ownsStore;
        this.config = model.config();
        this.method = method;
        // The file's RoPE for this context (Phi-3 LongRoPE picks its factors by length), then the method's change.
        this.baseRope = model.ropeFor(capacity);
        this.transformer = model.on(backend);
        this.sequence = new Sequence(store, method.positionScheme(), method.rope(baseRope, config.contextLength(), capacity), capacity);
        this.batchSize = batchSize;
    }

    /** The store shape a sequence of {@code capacity} positions under {@code scheme} needs on {@code config}'s model. */
    public static KvShape shape(ModelConfig config, int capacity, PositionScheme scheme) {
        return new KvShape(config.layers(), config.kvHeads(), config.headDim(), capacity, scheme.ringSlots());
    }

    /** llama-completion's default -b. */
    public static final int LLAMACPP_DEFAULT_BATCH = 2048;

    /** A session processing prompts in the backend's preferred batches ({@link Backend#promptBatch}). */
    public static Session create(Model model, Backend backend, ContextMethod method, int capacity) {
        return new Session(model, backend, method, capacity, backend.promptBatch());
    }

    /** A session under a position scheme (plain or Self-Extend) with the model's own RoPE. */
    public static Session create(Model model, Backend backend, PositionScheme scheme, int capacity) {
        return create(model, backend, ContextMethod.of(scheme), capacity);
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

    public Sequence sequence() {
        return sequence;
    }

    public Backend backend() {
        return transformer.backend();
    }

    public int length() {
        return sequence.length();
    }

    public int capacity() {
        return sequence.capacity();
    }

    /** Appends tokens and returns the logits after the last one (a view valid until the next call). */
    public float[] append(int[] tokens, int offset, int count, IntConsumer progress) {
        checkRoom(count);
        if (lastOnly == null) {
            lastOnly = new InferenceState(config, transformer.backend(), batchSize, false);
        }
        float[][] logits = new float[1][];
        forEachBatch(count, (done, n) -> {
            logits[0] = transformer.forward(tokens, offset + done, n, sequence, lastOnly);
            if (progress != null) {
                progress.accept(done + n);
            }
        });
        return logits[0];
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
        sequence.beforeDecodeCall(transformer.backend(), baseRope);
        updateRope(sequence.length() + 1);
        return new DecodeRow(token, sequence);
    }

    /** The forward pass this session runs on its backend. */
    Transformer transformer() {
        return transformer;
    }

    /** Appends tokens and hands every position's logits to {@code consumer} in order. */
    public void appendScoring(int[] tokens, int offset, int count, LogitsConsumer consumer, IntConsumer progress) {
        checkRoom(count);
        if (everyPosition == null) {
            everyPosition = new InferenceState(config, transformer.backend(), batchSize, true);
        }
        int vocab = config.vocabSize();
        forEachBatch(count, (done, n) -> {
            float[] logits = transformer.forward(tokens, offset + done, n, sequence, everyPosition);
            for (int i = 0; i < n; i++) {
                consumer.accept(done + i, logits, everyPosition.logitsOffset(i, vocab));
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
            sequence.beforeDecodeCall(transformer.backend(), baseRope);
            for (int done = callStart; done < callEnd; ) {
                int n = Math.min(batchSize, callEnd - done);
                updateRope(sequence.length() + n);
                step.run(done, n);
                done += n;
            }
            callStart = callEnd;
        }
    }

    /** Dynamic NTK recomputes its frequencies from the length the sequence reaches with this batch. */
    private void updateRope(int lengthAfterBatch) {
        if (method.ropeDependsOnLength()) {
            sequence.useRope(method.rope(baseRope, config.contextLength(), lengthAfterBatch));
        }
    }

    public void clear() {
        sequence.clear();
    }

    /**
     * Frees the session's buffers, and its store unless a pool lent it. On the CPU this only helps the
     * garbage collector; on a GPU it returns device memory at once.
     */
    @Override
    public void close() {
        for (InferenceState state : new InferenceState[]{lastOnly, everyPosition}) {
            if (state != null) {
                state.close();
            }
        }
        lastOnly = null;
        everyPosition = null;
        if (ownsStore) {
            sequence.store().close();
        }
    }

    private void checkRoom(int count) {
        if (sequence.length() + count > sequence.capacity()) {
            throw new InputException("the input needs " + (sequence.length() + count) + " positions but the context holds "
                    + sequence.capacity() + "; raise --ctx, shorten the input, or enable Self-Extend (--group-size/--window)");
        }
    }
}
