package dev.longlm.attention;

import dev.longlm.InputException;

/**
 * Self-Extend (Jin et al., ICML 2024) with group size G and neighbour window W: a query at p and a
 * key at j use their true positions when {@code p - j < W}, otherwise the query is placed at
 * {@code p/G + W - W/G} and the key at {@code j/G} (floor division). The shift {@code W - W/G} makes the
 * grouped distance continue where the window ends. G = 1 is plain attention.
 */
public record SelfExtend(int groupSize, int window) implements PositionScheme {
    /** Plain attention: every key at its true position. */
    public static final SelfExtend NONE = new SelfExtend(1, 0);

    public SelfExtend {
        if (groupSize < 1) {
            throw new InputException("Self-Extend group size must be at least 1, got " + groupSize);
        }
        if (window < 0) {
            throw new InputException("Self-Extend window must not be negative, got " + window);
        }
        if (groupSize > 1 && window == 0) {
            throw new InputException("Self-Extend needs a neighbour window W > 0 when the group size is " + groupSize);
        }
        if (groupSize > 1 && window % groupSize != 0) {
            throw new InputException("Self-Extend window " + window + " must be a multiple of the group size " + groupSize
                    + " (try --window " + (window / groupSize + 1) * groupSize + ")");
        }
    }

    /** The library entry point, like the reference's {@code SelfExtend.apply(model, group_size, window_size)}. */
    public static SelfExtend of(int groupSize, int window) {
        return groupSize == 1 ? NONE : new SelfExtend(groupSize, window);
    }

    @Override
    public int groupedQuery(int p) {
        return p / groupSize + window - window / groupSize;
    }

    @Override
    public int groupedKey(int j) {
        return j / groupSize;
    }

    @Override
    public boolean isPlain() {
        return groupSize == 1;
    }

    /** (L - W)·G + W: beyond it the grouped query position passes the trained context L. */
    @Override
    public long maxLength(int trainedContext) {
        if (isPlain()) {
            return trainedContext;
        }
        return (long) (trainedContext - window) * groupSize + window;
    }

    /**
     * Checks that an input of {@code length} tokens fits the model's trained context under this scheme;
     * otherwise an {@link InputException} that states the maximum and a group size that would fit.
     */
    public void checkFits(int length, int trainedContext) {
        if (!isPlain() && window >= trainedContext) {
            throw new InputException("Self-Extend window " + window + " must be smaller than the trained context " + trainedContext);
        }
        if (length <= maxLength(trainedContext)) {
            return;
        }
        String hint;
        int w = isPlain() ? trainedContext / 4 : window;
        int g = smallestGroupFitting(length, trainedContext, w);
        hint = g > 0 ? "; --group-size " + g + " --window " + w + " would fit" : "; no group size fits with window " + w;
        throw new InputException("input of " + length + " tokens exceeds the maximum " + maxLength(trainedContext)
                + " for " + describe() + " on a model trained on " + trainedContext + " tokens" + hint);
    }

    /** Smallest G (a divisor of W, as the window must be a multiple of it) with (L - W)·G + W ≥ length; 0 if none. */
    static int smallestGroupFitting(int length, int trainedContext, int window) {
        for (int g = 2; g <= window; g++) {
            if (window % g == 0 && (long) (trainedContext - window) * g + window >= length) {
                return g;
            }
        }
        return 0;
    }

    @Override
    public String describe() {
        return isPlain() ? "plain attention" : "self-extend G=" + groupSize + " W=" + window;
    }
}
