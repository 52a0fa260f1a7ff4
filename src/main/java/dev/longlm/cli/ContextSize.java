package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;

/** The KV-cache capacity for a run: --ctx, or by default the trained context or the extended maximum. */
final class ContextSize {
    private ContextSize() {
    }

    static int resolve(Integer requested, ContextMethod method, int trained, int promptTokens) {
        long max = method.maxLength(trained);
        boolean plain = method.kind() == ContextMethod.Kind.NONE;
        int capacity;
        if (requested != null) {
            if (requested < 1) {
                throw new InputException("--ctx must be positive, got " + requested);
            }
            if (!plain && requested > max) {
                throw new InputException("--ctx " + requested + " exceeds the maximum " + max + " for " + method.describe()
                        + "; raise --group-size (or the scale) or lower --ctx");
            }
            capacity = requested;
        } else {
            // Unbounded methods (streaming, dynamic NTK) default to 16× the trained context.
            capacity = (int) Math.min(max, 16L * trained);
        }
        if (promptTokens > capacity) {
            throw new InputException("the prompt has " + promptTokens + " tokens but the context holds " + capacity
                    + (plain ? "; enable Self-Extend (--self-extend auto, or --group-size G --window W) or raise --ctx"
                    : "; raise --group-size or --ctx"));
        }
        return capacity;
    }
}
