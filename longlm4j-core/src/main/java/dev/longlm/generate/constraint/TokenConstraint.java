package dev.longlm.generate.constraint;

/**
 * Restricts which tokens may be generated next. Implementations hold the state of one output being
 * generated (not thread-safe) and advance with {@link #accept(int)}.
 */
public interface TokenConstraint {
    /** Whether {@code token} may come next, given that at most {@code remainingTokens} tokens (it included) may follow. */
    boolean allows(int token, int remainingTokens);

    /** Sets {@code allowed[t]} for every allowed token at once (faster than asking token by token); returns how many. */
    int fillAllowed(boolean[] allowed, int remainingTokens);

    /** Advances past {@code token}, which {@link #allows} accepted. */
    void accept(int token);

    /** The output is complete and nothing may follow: generation must stop now. */
    boolean isComplete();
}
