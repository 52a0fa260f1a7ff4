package dev.longlm.attention;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * llama.cpp's approximation of Self-Extend ({@code llama-completion -gan G -gaw W}, llama.cpp 0.5.0),
 * reproduced operation for operation so that users can compare it with the exact method.
 *
 * <p>llama.cpp does not give a query two positions. Before each decode call it checks
 * {@code nPast >= gaI + W} and, while that holds, rewrites the positions of cached keys: the block
 * of W keys starting at token {@code k·W} (k = operations so far) is divided by G, the keys after it
 * move down by {@code W - W/G}, and the next query is placed at {@code nPast} (reduced likewise).
 * Cached keys are re-rotated by each position change ({@link LlamaCppRegrouping}, one per sequence).
 *
 * <p>Keys are cached at their current angle, so attention itself is plain: one rotation per key, at
 * positions the sequence renumbers by {@link LlamaCppRegrouping#positionOffset()}. It extends the
 * context as Self-Extend does, so it replaces an every-layer sliding window too.
 */
public record LlamaCppGroupedPositions(int groupSize, int window) implements PositionScheme, ContextMethod {
    public LlamaCppGroupedPositions {
        new SelfExtend(groupSize, window); // validates
    }

    @Override
    public Kind kind() {
        return Kind.SELF_EXTEND_LLAMACPP;
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
        return true;
    }

    @Override
    public long maxLength(int trainedContext) {
        return SelfExtend.maxLength(groupSize, window, trainedContext);
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
