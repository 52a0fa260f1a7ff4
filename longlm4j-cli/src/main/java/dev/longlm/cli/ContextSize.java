package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;

/**
 * The KV-cache capacity for a run: --ctx, or by default what the run needs (the prompt and the tokens to
 * generate, when their number is known), else the extended maximum up to 16× the trained context.
 */
final class ContextSize {
    private ContextSize() {
    }

    static int resolve(Integer requested, ContextMethod method, int trained, int promptTokens) {
        return resolve(requested, method, trained, promptTokens, -1);
    }

    /** @param needed positions the run will use at most (prompt + tokens to generate), or -1 when unknown */
    static int resolve(Integer requested, ContextMethod method, int trained, int promptTokens, long needed) {
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
        } else if (needed > 0) {
            // What the run uses, not the method's maximum (an 8B model's Self-Extend maximum is a million positions).
            capacity = (int) Math.min(max, needed);
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
