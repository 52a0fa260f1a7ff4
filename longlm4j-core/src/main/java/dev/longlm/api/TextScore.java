package dev.longlm.api;

import java.util.Arrays;

/**
 * Teacher-forced scores of a text: {@code logProbabilities[i]} is log p(token i+1 | tokens 0..i) (natural
 * log; the first token has no prediction), and the perplexity exp(-mean of them).
 */
public record TextScore(int tokens, double[] logProbabilities, double perplexity, String contextMethod) {
    public TextScore {
        logProbabilities = logProbabilities.clone();
    }

    @Override
    public double[] logProbabilities() {
        return logProbabilities.clone();
    }

    /** The sum of the log-probabilities. */
    public double totalLogProbability() {
        return Arrays.stream(logProbabilities).sum();
    }
}
