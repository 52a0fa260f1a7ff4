package dev.longlm.generate;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.LlamaCppGroupedPositions;
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

import java.util.Arrays;
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
    /** The null-or-key of {@link #schemeKey(Model, ContextMethod, int)}. */
    private final String schemeKey;
    /** Token ids at positions {@code 0 … length-1} (longer arrays hold stale ids past the length). */
    private int[] history;
    /** Where the true-position keys this session's ring holds began when it started (0 unless it resumed). */
    private int trueKeysFrom;

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
        this(model, backend, method, store, capacity, batchSize, StoreUse.FRESH);
    }

    /**
     * How a session uses a lent store: {@code keep} leading positions of what it holds ({@code cached}; at
     * most {@link CachedTokens#reusable}), and whether its ring keeps the true-position key of every position
     * (so that a later session may keep any prefix, at the price of a second copy of the keys) rather than
     * the scheme's last W.
     */
    public record StoreUse(CachedTokens cached, int keep, boolean everyTrueKey) {
        public static final StoreUse FRESH = new StoreUse(CachedTokens.EMPTY, 0, false);

        public StoreUse {
            if (keep < 0 || keep > cached.length()) {
                throw new IllegalArgumentException("keep " + keep + " of " + cached.length() + " cached positions");
            }
        }
    }

    /** A session over a lent store that keeps what {@code use} says of its contents. */
    public Session(Model model, Backend backend, ContextMethod method, KvStore store, int capacity, int batchSize, StoreUse use) {
        this(model, backend, method, store, capacity, batchSize, false, use);
    }

    private Session(Model model, Backend backend, ContextMethod method, KvStore store, int capacity, int batchSize,
                    boolean ownsStore) {
        this(model, backend, method, store, capacity, batchSize, ownsStore, StoreUse.FRESH);
    }

    private Session(Model model, Backend backend, ContextMethod method, KvStore store, int capacity, int batchSize,
                    boolean ownsStore, StoreUse use) {
        this.ownsStore = ownsStore;
        this.config = model.config();
        this.method = method;
        // The file's RoPE for this context (Phi-3 LongRoPE picks its factors by length), then the method's change.
        this.baseRope = model.ropeFor(capacity);
        this.transformer = model.on(backend);
        PositionScheme scheme = method.positionScheme();
        int ringSlots = scheme.ringSlots() == 0 ? 0 : use.everyTrueKey() ? store.shape().capacity() : scheme.ringSlots();
        Rope rope = method.rope(baseRope, config.contextLength(), capacity);
        this.schemeKey = schemeKey(method, rope);
        if (use.keep() > 0 && !use.cached().canKeep(schemeKey, use.keep())) {
            throw new IllegalArgumentException("cannot keep " + use.keep() + " positions of " + use.cached() + " under " + schemeKey);
        }
        this.sequence = new Sequence(store, scheme, rope, capacity, use.keep(), ringSlots);
        this.batchSize = batchSize;
        this.history = Arrays.copyOf(use.cached().tokens(), Math.max(16, use.keep()));
        this.trueKeysFrom = use.keep() > 0 ? use.cached().trueKeysFrom() : 0;
    }

    /**
     * The key under which keys computed by a session of {@code method} over {@code capacity} positions may be
     * reused by another ({@link CachedTokens}): its position scheme and RoPE, or null when they change as the
     * sequence grows (dynamic NTK) or its cached keys are re-rotated (llama.cpp's regrouping).
     */
    public static String schemeKey(Model model, ContextMethod method, int capacity) {
        return schemeKey(method, method.rope(model.ropeFor(capacity), model.config().contextLength(), capacity));
    }

    private static String schemeKey(ContextMethod method, Rope rope) {
        if (method.ropeDependsOnLength() || method.positionScheme() instanceof LlamaCppGroupedPositions) {
            return null;
        }
        return method.positionScheme() + " " + rope.canonical();
    }

    /** What this session leaves in its store for a later one: its tokens, scheme key and the ring's reach. */
    public CachedTokens cachedTokens() {
        int length = sequence.length();
        int ring = sequence.ringSlots();
        return new CachedTokens(Arrays.copyOf(history, length), schemeKey, ring == 0 ? length : Math.max(trueKeysFrom, length - ring),
                sequence.scheme().ringSlots());
    }

    /** The key under which this session's keys may be reused ({@link #schemeKey(Model, ContextMethod, int)}). */
    public String schemeKey() {
        return schemeKey;
    }

    /**
     * Drops every position from {@code keep} on, as if only the first {@code keep} tokens had been appended:
     * cached keys depend only on their own positions, so the rest stays valid. Possible when
     * {@code cachedTokens().canKeep(schemeKey(), keep)} (always for 0 and the whole length).
     */
    public void rewind(int keep) {
        if (keep == sequence.length()) {
            return;
        }
        if (keep == 0) {
            clear();
            return;
        }
        CachedTokens now = cachedTokens();
        if (keep < 0 || !now.canKeep(schemeKey, keep)) {
            throw new IllegalArgumentException("cannot rewind " + now + " to " + keep + " positions");
        }
        sequence.store().setLength(keep);
        trueKeysFrom = now.trueKeysFrom();
    }

    /** The token ids at positions {@code 0 … length-1}. */
    public int[] tokens() {
        return Arrays.copyOf(history, sequence.length());
    }

    /** Records the ids of tokens about to be appended at the sequence's end (the cache holds only their keys). */
    private void record(int[] tokens, int offset, int count) {
        int at = sequence.length();
        if (at + count > history.length) {
            history = Arrays.copyOf(history, Math.max(at + count, 2 * history.length));
        }
        System.arraycopy(tokens, offset, history, at, count);
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
        record(tokens, offset, count);
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
        decodeToken[0] = token;
        record(decodeToken, 0, 1);
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
        record(tokens, offset, count);
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
        trueKeysFrom = 0;
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
