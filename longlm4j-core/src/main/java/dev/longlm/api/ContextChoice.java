package dev.longlm.api;

import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.DualChunkAttention;
import dev.longlm.attention.LeakyReRope;
import dev.longlm.attention.ReRope;
import dev.longlm.attention.SelfExtend;

/**
 * How a model reads past its trained context: a method chosen once the length of the request is known
 * (prompt plus the tokens to generate). The automatic choices use the same rules as the CLI's
 * {@code --self-extend auto} and {@code --rope-method dca|rerope|leaky-rerope} without parameters
 * (docs/LONG_CONTEXT.md); inputs within the trained context get plain attention from them.
 */
@FunctionalInterface
public interface ContextChoice {
    /** The method for a request of {@code length} positions on a model trained on {@code trainedContext}. */
    ContextMethod methodFor(int trainedContext, int length);

    /** Plain attention: the request must fit the trained context. */
    static ContextChoice none() {
        return of(ContextMethod.none());
    }

    /** Self-Extend with W = L/4 and the smallest G that keeps W + (N - W)/G within 2/3 of L. */
    static ContextChoice selfExtend() {
        return (trained, length) -> SelfExtend.auto(trained, length, null);
    }

    /** Self-Extend with group size {@code groupSize} (G) beyond a neighbour window of {@code window} (W) tokens. */
    static ContextChoice selfExtend(int groupSize, int window) {
        return of(ContextMethod.selfExtend(groupSize, window));
    }

    /** Dual Chunk Attention with chunk size and local window chosen from the trained context. */
    static ContextChoice dualChunk() {
        return (trained, length) -> DualChunkAttention.auto(trained, length, null, null);
    }

    /** ReRoPE with its window chosen from the trained context (L/4). */
    static ContextChoice rerope() {
        return (trained, length) -> ReRope.auto(trained, length, null);
    }

    /** Leaky ReRoPE with window and leak chosen from the trained context and the length. */
    static ContextChoice leakyRerope() {
        return (trained, length) -> LeakyReRope.auto(trained, length, null, null);
    }

    /** A fixed method, e.g. {@code ContextMethod.yarn(4, 1, 32)} or {@code ContextMethod.streaming(4, 252)}. */
    static ContextChoice of(ContextMethod method) {
        return (trained, length) -> method;
    }
}
