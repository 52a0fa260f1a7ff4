package dev.longlm.attention;

import dev.longlm.InputException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * StreamingLLM (Xiao et al., 2024): attend to the first {@code sinks} tokens ("attention sinks") and
 * the {@code recent} most recent ones, with positions counted inside that cache. Recent keys keep
 * their true relative distances; a sink at j sits at distance {@code sinks + recent - 1 - j} once the
 * cache is full, which is what placing the query at cache slot {@code sinks + recent - 1} gives. Keys
 * are cached at their true positions, so near keys need no second copy. Evicted keys are masked rather
 * than freed, so results equal the method's and memory equals plain attention's.
 */
public record StreamingWindow(int sinks, int recent) implements PositionScheme, ContextMethod {
    public StreamingWindow {
        if (sinks < 0 || recent < 1) {
            throw new InputException("streaming needs sinks >= 0 and a recent window >= 1, got sinks " + sinks + ", recent " + recent);
        }
    }

    @Override
    public Kind kind() {
        return Kind.STREAMING;
    }

    @Override
    public PositionScheme positionScheme() {
        return this;
    }

    @Override
    public KeyRanges ranges() {
        return new KeyRanges(recent, sinks, false);
    }

    @Override
    public double storedKeyPosition(int j) {
        return j;
    }

    @Override
    public double farQueryPosition(int p) {
        return Math.min(p, sinks + recent - 1);
    }

    @Override
    public boolean replacesSlidingWindow() {
        return false;
    }

    /** Positions never exceed the cache size, so any length stays within a trained context ≥ sinks + recent. */
    @Override
    public long maxLength(int trainedContext) {
        return sinks + recent <= trainedContext ? Long.MAX_VALUE : trainedContext;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", kind().flag());
        m.put("sinks", sinks);
        m.put("recent", recent);
        return m;
    }

    @Override
    public String describe() {
        return "streaming " + sinks + "+" + recent;
    }
}
