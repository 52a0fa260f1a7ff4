package dev.longlm.eval;

/**
 * A token of a scored sequence: its log-probability given the tokens before it (NaN for the first
 * token, which has no prediction) and the most likely tokens of that same distribution.
 */
public record TokenScore(int id, double logprob, int[] topIds, double[] topLogprobs) {
    public boolean hasPrediction() {
        return !Double.isNaN(logprob);
    }
}
