package dev.longlm.api;

import java.util.List;

/**
 * What to generate: at most {@code maxTokens} tokens, sampled by {@code sampling}, with the long-context
 * method {@code context} chosen for a session of {@code contextLength} positions (0: the prompt plus
 * {@code maxTokens}), ending early at any of {@code stop}, constrained by {@code grammar} (null: free text),
 * stoppable by {@code cancellation} (null: not cancellable). Build one with {@link #greedy(int)} and the
 * {@code with…} methods.
 */
public record GenerationOptions(int maxTokens, Sampling sampling, ContextChoice context, int contextLength,
                                List<String> stop, OutputGrammar grammar, Cancellation cancellation) {
    public GenerationOptions {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        if (contextLength < 0) {
            throw new IllegalArgumentException("contextLength must be >= 0 (0: prompt + maxTokens), got " + contextLength);
        }
        if (sampling == null || context == null) {
            throw new IllegalArgumentException("sampling and context are required");
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    /** Greedy decoding of up to {@code maxTokens} tokens with plain attention. */
    public static GenerationOptions greedy(int maxTokens) {
        return new GenerationOptions(maxTokens, Sampling.GREEDY, ContextChoice.none(), 0, List.of(), null, null);
    }

    public GenerationOptions withMaxTokens(int tokens) {
        return new GenerationOptions(tokens, sampling, context, contextLength, stop, grammar, cancellation);
    }

    public GenerationOptions withSampling(Sampling s) {
        return new GenerationOptions(maxTokens, s, context, contextLength, stop, grammar, cancellation);
    }

    public GenerationOptions withContext(ContextChoice c) {
        return new GenerationOptions(maxTokens, sampling, c, contextLength, stop, grammar, cancellation);
    }

    public GenerationOptions withContextLength(int positions) {
        return new GenerationOptions(maxTokens, sampling, context, positions, stop, grammar, cancellation);
    }

    public GenerationOptions withStop(List<String> strings) {
        return new GenerationOptions(maxTokens, sampling, context, contextLength, strings, grammar, cancellation);
    }

    public GenerationOptions withGrammar(OutputGrammar g) {
        return new GenerationOptions(maxTokens, sampling, context, contextLength, stop, g, cancellation);
    }

    public GenerationOptions withCancellation(Cancellation c) {
        return new GenerationOptions(maxTokens, sampling, context, contextLength, stop, grammar, c);
    }
}
