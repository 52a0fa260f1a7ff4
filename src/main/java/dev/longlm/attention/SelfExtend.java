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

    /**
     * The authors' empirical rule for choosing G: keep W = {@code window} (default L/4) and take the
     * smallest divisor G of W with {@code W + (N - W)/G ≤ ⅔·L}, so the farthest grouped distance stays
     * well inside the trained context. Inputs that fit the trained context get plain attention.
     *
     * @return the setting, or an {@link InputException} saying plainly that no G fits
     */
    public static SelfExtend auto(int trainedContext, int inputLength, Integer window) {
        int w = window != null ? window : trainedContext / 4;
        double limit = 2.0 * trainedContext / 3.0;
        if (inputLength <= trainedContext) {
            return NONE;
        }
        if (w <= 0 || w >= limit) {
            throw new InputException("--self-extend auto: window " + w + " must be positive and below 2/3 of the trained context "
                    + trainedContext);
        }
        for (int g = 2; g <= w; g++) {
            if (w % g == 0 && w + (double) (inputLength - w) / g <= limit) {
                return new SelfExtend(g, w);
            }
        }
        throw new InputException("--self-extend auto: no group size dividing window " + w + " keeps " + inputLength
                + " tokens within 2/3 of the trained context " + trainedContext + " (W + (N-W)/G <= " + (int) limit
                + "); use a larger --window or set --group-size/--window by hand (maximum length " + ((long) (trainedContext - w) * w + w) + ")");
    }

    @Override
    public String describe() {
        return isPlain() ? "plain attention" : "self-extend G=" + groupSize + " W=" + window;
    }
}
