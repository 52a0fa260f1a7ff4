package dev.longlm.api;

import dev.longlm.generate.SamplingParameters;

/**
 * How the next token is chosen, in llama.cpp's order: repetition penalty, top-k, top-p, min-p, then
 * temperature and a draw seeded by {@code seed}. Temperature 0 is greedy decoding (deterministic).
 *
 * @param topK          keep the k most likely tokens (0 = all)
 * @param topP          keep the smallest set whose probability reaches p (1 = all)
 * @param minP          drop tokens less likely than minP times the most likely one (0 = none)
 * @param repeatPenalty divide positive (multiply negative) logits of the last 64 tokens (1 = none)
 */
public record Sampling(float temperature, int topK, float topP, float minP, float repeatPenalty, long seed) {
    /** Greedy decoding. */
    public static final Sampling GREEDY = new Sampling(0f, 0, 1f, 0f, 1f, 0);

    public Sampling {
        parameters(temperature, topK, topP, minP, repeatPenalty, seed); // one place validates: the engine's record
    }

    /** llama.cpp's defaults (top-k 40, top-p 0.95, min-p 0.05) at {@code temperature}. */
    public static Sampling temperature(float temperature, long seed) {
        return new Sampling(temperature, 40, 0.95f, 0.05f, 1f, seed);
    }

    SamplingParameters parameters() {
        return parameters(temperature, topK, topP, minP, repeatPenalty, seed);
    }

    private static SamplingParameters parameters(float temperature, int topK, float topP, float minP, float repeatPenalty, long seed) {
        return new SamplingParameters(temperature, topK, topP, minP, repeatPenalty, 64, seed);
    }
}
