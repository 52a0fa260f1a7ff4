package dev.longlm.attention;

import dev.longlm.InputException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ReRoPE (Su, <i>Rectified Rotary Position Embeddings</i>, 2023; code: bojone/rerope): relative
 * distances are kept up to the window w and clipped to w beyond it. Keys are cached unrotated
 * (position 0) and far keys are scored against the query rotated to w, so their distance is w; near
 * keys ({@code p − j < w}) use true positions, from a ring of the last w true-position keys, as under
 * Self-Extend. It is Leaky ReRoPE with an infinite leak factor.
 *
 * <p>Index rules: {@code rerope_patch.py} at bojone/rerope acfe788, line 70 (decoding:
 * {@code (position_ids[:, -1:] - position_ids).clip(max=window)}), lines 77–78 (prefill: the far query at
 * {@code position_ids * 0 + window}, the far key unrotated) and line 87 (near when
 * {@code |p − j| < window}). The patch also multiplies each query by {@code max(1, log(p+1)/log L)}
 * (line 56, Su's separate "log-n" attention scaling); that is not part of the position scheme and is not
 * applied here (docs/LONG_CONTEXT.md).
 */
public record ReRope(int window) implements PositionScheme, ContextMethod {
    public ReRope {
        if (window < 1) {
            throw new InputException("ReRoPE needs a window w >= 1, got " + window);
        }
    }

    @Override
    public Kind kind() {
        return Kind.REROPE;
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
        return 0;
    }

    @Override
    public double farQueryPosition(int p) {
        return window;
    }

    @Override
    public boolean replacesSlidingWindow() {
        return true;
    }

    /** Any length when w is below L (every distance is at most w); otherwise only inputs that fit L anyway. */
    @Override
    public long maxLength(int trainedContext) {
        return window < trainedContext ? Long.MAX_VALUE : trainedContext;
    }

    @Override
    public void checkFits(int length, int trainedContext) {
        if (length > maxLength(trainedContext)) {
            throw new InputException("ReRoPE window " + window + " must be smaller than the trained context " + trainedContext
                    + " for an input of " + length + " tokens; use --window " + trainedContext / 4);
        }
    }

    /** ReRoPE for an input of {@code length} tokens: w defaults to L/4; with no w, an input that fits L gets plain attention. */
    public static ContextMethod auto(int trainedContext, int length, Integer window) {
        if (window == null && length <= trainedContext) {
            return Plain.INSTANCE;
        }
        ReRope rerope = new ReRope(window != null ? window : Math.max(1, trainedContext / 4));
        rerope.checkFits(length, trainedContext);
        return rerope;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", kind().flag());
        m.put("window", window);
        return m;
    }

    @Override
    public String describe() {
        return kind().flag() + " w" + window;
    }
}
