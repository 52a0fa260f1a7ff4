package dev.longlm.eval;

import dev.longlm.InputException;

/**
 * How a token stream (BOS + the text's tokens) is cut into windows of N positions and which
 * predictions count.
 * <ul>
 * <li>Model card (default): window i is the N + 1 tokens from stream index 1 + i·N (no BOS inside);
 *     all N next-token predictions are scored.</li>
 * <li>{@code bosPerWindow} (llama.cpp's llama-perplexity): window i is the N tokens from index i·N
 *     with the first replaced by BOS; its N − 1 predictions can be scored.</li>
 * <li>{@code secondHalf}: only predictions made with at least N/2 tokens of context count
 *     (llama-perplexity scores from position n_ctx/2).</li>
 * </ul>
 *
 * @param windows how many windows (0: as many as the text holds)
 */
public record PerplexityProtocol(int windows, boolean secondHalf, boolean bosPerWindow) {
    public PerplexityProtocol {
        if (windows < 0) {
            throw new InputException("--windows must be 0 (all that fit) or positive, got " + windows);
        }
    }

    public static PerplexityProtocol modelCard(int windows) {
        return new PerplexityProtocol(windows, false, false);
    }

    /** Tokens each window feeds the model (the last of the model card's windows is only a target). */
    public int windowTokens(int n) {
        return bosPerWindow ? n : n + 1;
    }

    /** Stream index where window {@code i} starts. */
    public int windowStart(int i, int n) {
        return bosPerWindow ? i * n : 1 + i * n;
    }

    /** Windows of length {@code n} a stream of {@code streamLength} tokens holds, capped by {@link #windows}. */
    public int windowCount(int streamLength, int n) {
        int fit = 0;
        while (windowStart(fit, n) + windowTokens(n) <= streamLength) {
            fit++;
        }
        return windows == 0 ? fit : Math.min(windows, fit);
    }

    /** The first prediction (0 predicts the window's second token) that is scored. */
    public int firstScored(int n) {
        return secondHalf ? n / 2 : 0;
    }
}
