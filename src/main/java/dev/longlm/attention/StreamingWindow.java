package dev.longlm.attention;

import dev.longlm.InputException;

/**
 * StreamingLLM (Xiao et al., 2024): attend to the first {@code sinks} tokens ("attention sinks") and
 * the {@code recent} most recent ones, with positions counted inside that cache. Recent keys keep
 * their true relative distances; a sink at j sits at distance {@code sinks + recent - 1 - j} once the
 * cache is full, which is what placing the query at cache slot {@code sinks + recent - 1} gives.
 * Evicted keys are masked rather than freed, so results equal the method's and memory equals plain
 * attention's.
 */
public record StreamingWindow(int sinks, int recent) implements PositionScheme {
    public StreamingWindow {
        if (sinks < 0 || recent < 1) {
            throw new InputException("streaming needs sinks >= 0 and a recent window >= 1, got sinks " + sinks + ", recent " + recent);
        }
    }

    @Override
    public int window() {
        return recent;
    }

    @Override
    public int groupedQuery(int p) {
        return Math.min(p, sinks + recent - 1);
    }

    @Override
    public int groupedKey(int j) {
        return j;
    }

    @Override
    public int farKeyLimit() {
        return sinks;
    }

    @Override
    public boolean isPlain() {
        return false;
    }

    /** Positions never exceed the cache size, so any length stays within a trained context ≥ sinks + recent. */
    @Override
    public long maxLength(int trainedContext) {
        return sinks + recent <= trainedContext ? Long.MAX_VALUE : trainedContext;
    }

    @Override
    public String describe() {
        return "streaming sinks=" + sinks + " recent=" + recent;
    }
}
