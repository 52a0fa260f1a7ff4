package dev.longlm.attention;

import dev.longlm.InputException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Self-Extend (Jin et al., ICML 2024) with group size G and neighbour window W: a query at p and a
 * key at j use their true positions when {@code p - j < W}, otherwise the query is placed at
 * {@code p/G + W - W/G} and the key at {@code j/G} (floor division). The shift {@code W - W/G} makes the
 * grouped distance continue where the window ends. Keys are cached at {@code j/G}; the last W keys also
 * at their true positions, in a ring of W slots.
 *
 * <p>G = 1 is mathematically plain attention but still runs the grouped path (ring and two query
 * rotations); users who ask for {@code --group-size 1} get {@link Plain} from
 * {@link ContextMethod#selfExtend}.
 */
public record SelfExtend(int groupSize, int window) implements PositionScheme, ContextMethod {
    public SelfExtend {
        if (groupSize < 1) {
            throw new InputException("Self-Extend group size must be at least 1, got " + groupSize);
        }
        if (window < 1) {
            throw new InputException("Self-Extend needs a neighbour window W > 0, got " + window);
        }
        if (window % groupSize != 0) {
            throw new InputException("Self-Extend window " + window + " must be a multiple of the group size " + groupSize
                    + " (try --window " + (window / groupSize + 1) * groupSize + ")");
        }
    }

    /** The library entry point, like the reference's {@code SelfExtend.apply(model, group_size, window_size)}. */
    public static SelfExtend of(int groupSize, int window) {
        return new SelfExtend(groupSize, window);
    }

    @Override
    public Kind kind() {
        return Kind.SELF_EXTEND;
    }

    @Override
    public PositionScheme positionScheme() {
        return this;
    }

    /** The far (grouped) position of the query at p. */
    public int groupedQuery(int p) {
        return p / groupSize + window - window / groupSize;
    }

    /** The grouped position of the key at j, which it is cached at. */
    public int groupedKey(int j) {
        return j / groupSize;
    }

    @Override
    public KeyRanges ranges() {
        return new KeyRanges(window, Integer.MAX_VALUE, true);
    }

    @Override
    public double storedKeyPosition(int j) {
        return groupedKey(j);
    }

    @Override
    public double farQueryPosition(int p) {
        return groupedQuery(p);
    }

    @Override
    public boolean replacesSlidingWindow() {
        return true;
    }

    /** (L - W)·G + W: beyond it the grouped query position passes the trained context L. */
    @Override
    public long maxLength(int trainedContext) {
        return maxLength(groupSize, window, trainedContext);
    }

    static long maxLength(int groupSize, int window, int trainedContext) {
        return (long) (trainedContext - window) * groupSize + window;
    }

    /**
     * Checks that an input of {@code length} tokens fits the model's trained context under this scheme;
     * otherwise an {@link InputException} that states the maximum and a group size that would fit.
     */
    @Override
    public void checkFits(int length, int trainedContext) {
        if (window >= trainedContext) {
            throw new InputException("Self-Extend window " + window + " must be smaller than the trained context " + trainedContext);
        }
        if (length > maxLength(trainedContext)) {
            throw new InputException("input of " + length + " tokens exceeds the maximum " + maxLength(trainedContext)
                    + " for " + describe() + " on a model trained on " + trainedContext + " tokens"
                    + fittingHint(length, trainedContext, window));
        }
    }

    /** As {@link #checkFits} for plain attention (group size 1): the input must fit the trained context. */
    public static void checkFitsPlain(int length, int trainedContext) {
        if (length > trainedContext) {
            throw new InputException("input of " + length + " tokens exceeds the maximum " + trainedContext
                    + " for plain attention on a model trained on " + trainedContext + " tokens"
                    + fittingHint(length, trainedContext, trainedContext / 4));
        }
    }

    private static String fittingHint(int length, int trainedContext, int window) {
        int g = smallestGroupFitting(length, trainedContext, window);
        return g > 0 ? "; --group-size " + g + " --window " + window + " would fit" : "; no group size fits with window " + window;
    }

    /** Smallest G (a divisor of W, as the window must be a multiple of it) with (L - W)·G + W ≥ length; 0 if none. */
    static int smallestGroupFitting(int length, int trainedContext, int window) {
        for (int g = 2; g <= window; g++) {
            if (window % g == 0 && maxLength(g, window, trainedContext) >= length) {
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
     * @return {@link Plain} or the setting, or an {@link InputException} saying plainly that no G fits
     */
    public static ContextMethod auto(int trainedContext, int inputLength, Integer window) {
        int w = window != null ? window : trainedContext / 4;
        double limit = 2.0 * trainedContext / 3.0;
        if (inputLength <= trainedContext) {
            return Plain.INSTANCE;
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
                + "); use a larger --window or set --group-size/--window by hand (maximum length " + maxLength(w, w, trainedContext) + ")");
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", kind().flag());
        m.put("group_size", groupSize);
        m.put("window", window);
        return m;
    }

    @Override
    public String describe() {
        return kind().flag() + " G" + groupSize + " W" + window;
    }
}
