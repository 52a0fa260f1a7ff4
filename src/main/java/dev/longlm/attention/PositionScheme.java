package dev.longlm.attention;

/**
 * Which RoPE positions attention uses for a (query p, key j) pair. Keys closer than
 * {@link #window()} use their true positions (query at p, key at j); farther keys use the
 * grouped positions {@link #groupedQuery(int)} and {@link #groupedKey(int)}. Plain attention is the
 * scheme whose grouped positions are the true ones.
 */
public interface PositionScheme {
    /** Keys with {@code p - j < window()} are scored at true positions. */
    int window();

    int groupedQuery(int p);

    int groupedKey(int j);

    /**
     * Far keys (beyond the window) at or after this position are not attended to at all; used by
     * StreamingLLM, which keeps only its attention sinks beyond the recent window.
     */
    default int farKeyLimit() {
        return Integer.MAX_VALUE;
    }

    /**
     * The RoPE position of the token at sequence index {@code index} when it is decoded: the index
     * itself, except for schemes that renumber positions as they go (llama.cpp's approximation).
     */
    default int position(int index) {
        return index;
    }

    /** Forgets any state a scheme keeps about the cached sequence (the cache was cleared). */
    default void reset() {
    }

    /** True when grouped positions equal true positions, so only one rotation is needed. */
    boolean isPlain();

    /** The longest input this scheme keeps within a model trained on {@code trainedContext} positions. */
    long maxLength(int trainedContext);

    /** A short description for logs and results, e.g. "self-extend G=8 W=64". */
    String describe();

    PositionScheme PLAIN = SelfExtend.NONE;
}
