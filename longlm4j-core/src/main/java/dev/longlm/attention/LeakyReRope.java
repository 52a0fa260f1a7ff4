package dev.longlm.attention;

import dev.longlm.InputException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Locale;

/**
 * Leaky ReRoPE (Su, 2023; code: bojone/rerope) with window w and leak factor k > 1: relative distances
 * d are kept below w and compressed to w + (d − w)/k beyond it — Self-Extend without the floor. Keys are
 * cached at j/k and far keys are scored against the query at p/k + w − w/k (fractional positions); near
 * keys ({@code p − j < w}) use true positions from a ring of the last w true-position keys.
 *
 * <p>Index rules: {@code leaky_rerope_patch.py} at bojone/rerope acfe788, line 73
 * ({@code offset = window * (scaling_factor - 1)}), lines 85–87 (prefill: the far query rotated by the
 * 1/k-scaled RoPE at {@code position_ids + offset}, i.e. (p + w(k − 1))/k, the far key by the same RoPE at
 * j, i.e. j/k), line 96 (near when {@code |p − j| < window}) and lines 77–79 (decoding: distance d below
 * w as is, else the scaled RoPE at d + offset). The patch's log-n query scaling (line 61) is not applied,
 * as for {@link ReRope}.
 */
public record LeakyReRope(int window, double leak) implements PositionScheme, ContextMethod {
    public LeakyReRope {
        if (window < 1) {
            throw new InputException("Leaky ReRoPE needs a window w >= 1, got " + window);
        }
        if (!(leak > 1) || Double.isInfinite(leak)) {
            throw new InputException("Leaky ReRoPE needs a finite leak factor k > 1, got " + leak + " (k = 1 is plain attention; use --rope-method rerope for no leak)");
        }
    }

    @Override
    public Kind kind() {
        return Kind.LEAKY_REROPE;
    }

    @Override
    public PositionScheme positionScheme() {
        return this;
    }

    @Override
    public KeyRanges ranges() {
        return new KeyRanges(window, Integer.MAX_VALUE, true);
    }

    @Override
    public double storedKeyPosition(int j) {
        return j / leak;
    }

    @Override
    public double farQueryPosition(int p) {
        return p / leak + window - window / leak;
    }

    @Override
    public boolean replacesSlidingWindow() {
        return true;
    }

    /** The longest N whose farthest distance w + (N − 1 − w)/k stays at most L − 1: ⌊(L − 1 − w)·k⌋ + w + 1. */
    @Override
    public long maxLength(int trainedContext) {
        return window < trainedContext ? (long) Math.floor((trainedContext - 1 - window) * leak) + window + 1 : trainedContext;
    }

    @Override
    public void checkFits(int length, int trainedContext) {
        if (window >= trainedContext) {
            throw new InputException("Leaky ReRoPE window " + window + " must be smaller than the trained context " + trainedContext);
        }
        if (length > maxLength(trainedContext)) {
            int room = trainedContext - 1 - window;
            throw new InputException("input of " + length + " tokens exceeds the maximum " + maxLength(trainedContext) + " for "
                    + describe() + " on a model trained on " + trainedContext + " tokens; "
                    + (room > 0 ? "--leak " + (long) Math.ceil((double) (length - 1 - window) / room) + " would fit" : "use a smaller --window"));
        }
    }

    /**
     * Leaky ReRoPE for an input of {@code length} tokens: w defaults to L/4 and k to the smallest whole
     * factor with w + (N − w)/k ≤ ⅔·L, the rule {@link SelfExtend#auto} uses for G. With neither given,
     * an input that fits L gets plain attention.
     */
    public static ContextMethod auto(int trainedContext, int length, Integer window, Double leak) {
        if (window == null && leak == null && length <= trainedContext) {
            return Plain.INSTANCE;
        }
        int w = window != null ? window : Math.max(1, trainedContext / 4);
        double k;
        if (leak != null) {
            k = leak;
        } else {
            if (3L * w >= 2L * trainedContext) {
                throw new InputException("leaky-rerope auto: window " + w + " must be below 2/3 of the trained context " + trainedContext);
            }
            // w + (N − w)/k ≤ 2L/3, in whole numbers: 3·(w·k + N − w) ≤ 2L·k
            long n = Math.max(length, w);
            long whole = 2;
            while (3 * (w * whole + n - w) > 2L * trainedContext * whole) {
                whole++;
            }
            k = whole;
        }
        LeakyReRope leaky = new LeakyReRope(w, k);
        leaky.checkFits(length, trainedContext);
        return leaky;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", kind().flag());
        m.put("window", window);
        m.put("leak", leak);
        return m;
    }

    @Override
    public String describe() {
        return kind().flag() + " w" + window + " k" + (leak == Math.rint(leak) ? Long.toString((long) leak) : String.format(Locale.ROOT, "%g", leak));
    }
}
