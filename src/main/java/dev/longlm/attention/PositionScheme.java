package dev.longlm.attention;

/**
 * Which RoPE positions attention uses for a (query p, key j) pair: a key is cached once, rotated to
 * {@link #storedKeyPosition}, and the query is rotated once per range of keys it meets
 * ({@link #ranges}): to its true position for near keys, to {@link #farQueryPosition} for far ones.
 * A key's stored position depends only on the key, so nothing cached ever needs re-rotating (except
 * under llama.cpp's approximation, which does that on purpose, see {@link LlamaCppRegrouping}).
 *
 * <p>Schemes are immutable records; everything a kernel needs is in {@link #ranges()} and in the
 * positions the sequence computes from these methods.
 */
public sealed interface PositionScheme permits Plain, SelfExtend, StreamingWindow, LlamaCppGroupedPositions {
    /**
     * Plain attention: every key and query at its true position. Its own instance, not
     * {@code Plain.INSTANCE}: initialising {@code Plain} initialises this interface first (it has default
     * methods), and reading {@code Plain.INSTANCE} from here then would see it still null.
     */
    PositionScheme PLAIN = new Plain();

    /** The key ranges every backend's attention kernel reads. */
    KeyRanges ranges();

    /** RoPE position of the key at {@code j} as it is cached. */
    double storedKeyPosition(int j);

    /** RoPE position of the query at {@code p} for far keys (equal to p for plain attention). */
    double farQueryPosition(int p);

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
