package dev.longlm.attention;

import java.util.Map;

/** No extension: plain attention at true positions with the model's own RoPE ({@code --rope-method none}). */
public record Plain() implements PositionScheme, ContextMethod {
    public static final Plain INSTANCE = new Plain();

    @Override
    public Kind kind() {
        return Kind.NONE;
    }

    @Override
    public PositionScheme positionScheme() {
        return this;
    }

    @Override
    public KeyRanges ranges() {
        return KeyRanges.PLAIN;
    }

    @Override
    public double storedKeyPosition(int j) {
        return j;
    }

    @Override
    public double farQueryPosition(int p) {
        return p;
    }

    @Override
    public boolean replacesSlidingWindow() {
        return false;
    }

    @Override
    public long maxLength(int trainedContext) {
        return trainedContext;
    }

    /** As {@link SelfExtend#checkFitsPlain}: the input must fit the trained context; the message names a Self-Extend setting that would hold it. */
    @Override
    public void checkFits(int length, int trainedContext) {
        SelfExtend.checkFitsPlain(length, trainedContext);
    }

    @Override
    public Map<String, Object> settings() {
        return Map.of("method", kind().flag());
    }

    @Override
    public String describe() {
        return "none";
    }
}
