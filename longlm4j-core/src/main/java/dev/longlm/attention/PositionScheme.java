package dev.longlm.attention;

/**
 * Which RoPE positions attention uses for a (query p, key j) pair: a key is cached once, rotated to
 * {@link #storedKeyPosition}, and the query is rotated once per range of keys it meets
 * ({@link #ranges}): to {@link #nearQueryPosition} for near keys (its true position, except under
 * Dual Chunk Attention), to {@link #farQueryPosition} for far ones and to
 * {@link #successiveQueryPosition} for the successive chunk of a chunked scheme.
 * A key's stored position depends only on the key, so nothing cached ever needs re-rotating (except
 * under llama.cpp's approximation, which does that on purpose, see {@link LlamaCppRegrouping}).
 *
 * <p>Schemes are immutable records; everything a kernel needs is in {@link #ranges()} and in the
 * positions the sequence computes from these methods.
 */
public sealed interface PositionScheme permits Plain, SelfExtend, StreamingWindow, LlamaCppGroupedPositions,
        DualChunkAttention, ReRope, LeakyReRope {
    /**
     * Plain attention: every key and query at its true position. A record of its own rather than
     * {@code Plain.INSTANCE}: initialising {@link Plain} first initialises this interface (it declares default
     * methods), which would then read {@code Plain.INSTANCE} before it is set and keep null. Equal to it.
     */
    PositionScheme PLAIN = new Plain();

    /** The key ranges every backend's attention kernel reads. */
    KeyRanges ranges();

    /** RoPE position of the key at {@code j} as it is cached. */
    double storedKeyPosition(int j);

    /** RoPE position of the query at {@code p} for far keys (equal to p for plain attention). */
    double farQueryPosition(int p);

    /** RoPE position of the query at {@code p} for near keys: p itself, except in-chunk under Dual Chunk Attention. */
    default double nearQueryPosition(int p) {
        return p;
    }

    /** RoPE position of the query at {@code p} for the successive keys of chunked ranges (read only when {@code ranges().chunk() > 0}). */
    default double successiveQueryPosition(int p) {
        return farQueryPosition(p);
    }

    /** True-position keys kept per layer beside the cache (the Self-Extend window); 0 when none are needed. */
    default int ringSlots() {
        return ranges().nearKeysFromRing() ? ranges().window() : 0;
    }

    /**
     * Whether this scheme extends the usable context, and so replaces an every-layer sliding window
     * (Mistral): the window bounds memory, not what the model can use, and a method that exists to read
     * past it would be defeated by it. StreamingLLM keeps a window of its own and leaves the model's alone.
     */
    boolean replacesSlidingWindow();

    /** The longest input this scheme keeps within a model trained on {@code trainedContext} positions. */
    long maxLength(int trainedContext);

    /** A short description for logs and results, e.g. "self-extend G8 W64". */
    String describe();
}
