package dev.longlm.generate;

import dev.longlm.InputException;

/**
 * How the next token is chosen. Temperature 0 is greedy decoding. Filters apply in llama.cpp's
 * order: repetition penalty, top-k, top-p, min-p, then temperature and a seeded draw.
 *
 * @param topK            keep the k most likely tokens (0 = all)
 * @param topP            keep the smallest set whose probability reaches p (1 = all)
 * @param minP            drop tokens less likely than minP × the most likely one (0 = none)
 * @param repeatPenalty   divide positive (multiply negative) logits of recent tokens (1 = none)
 * @param repeatLastN     how many recent tokens the penalty looks at
 */
public record SamplingParameters(float temperature, int topK, float topP, float minP, float repeatPenalty,
                                 int repeatLastN, long seed) {
    public static final SamplingParameters GREEDY = new SamplingParameters(0f, 0, 1f, 0f, 1f, 64, 0);

    public SamplingParameters {
        if (temperature < 0 || Float.isNaN(temperature)) {
            throw new InputException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new InputException("top-k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new InputException("top-p must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new InputException("min-p must be in [0, 1], got " + minP);
        }
        if (!(repeatPenalty > 0)) {
            throw new InputException("repeat penalty must be > 0, got " + repeatPenalty);
        }
        if (repeatLastN < 0) {
            throw new InputException("repeat-last-n must be >= 0, got " + repeatLastN);
        }
    }

    public boolean greedy() {
        return temperature == 0f;
    }
}
