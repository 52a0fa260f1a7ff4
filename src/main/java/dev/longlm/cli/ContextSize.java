package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.PositionScheme;

/** The KV-cache capacity for a run: --ctx, or by default the trained context or the extended maximum. */
final class ContextSize {
    private ContextSize() {
    }

    static int resolve(Integer requested, PositionScheme scheme, int trained, int promptTokens) {
        long max = scheme.maxLength(trained);
        int capacity;
        if (requested != null) {
            if (requested < 1) {
                throw new InputException("--ctx must be positive, got " + requested);
            }
            if (!scheme.isPlain() && requested > max) {
                throw new InputException("--ctx " + requested + " exceeds the maximum " + max + " for " + scheme.describe()
                        + "; raise --group-size or lower --ctx");
            }
            capacity = requested;
        } else {
            capacity = (int) Math.min(max, Integer.MAX_VALUE / 2);
        }
        if (promptTokens > capacity) {
            throw new InputException("the prompt has " + promptTokens + " tokens but the context holds " + capacity
                    + (scheme.isPlain() ? "; enable Self-Extend (--self-extend auto, or --group-size G --window W) or raise --ctx"
                    : "; raise --group-size or --ctx"));
        }
        return capacity;
    }
}
