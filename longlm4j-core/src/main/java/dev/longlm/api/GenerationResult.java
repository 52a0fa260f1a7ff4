package dev.longlm.api;

/**
 * A finished generation: the text (stop string excluded), the prompt's and the output's token counts,
 * why it ended, and the long-context method it ran with (e.g. {@code "self-extend G=4 W=64"}).
 */
public record GenerationResult(String text, int promptTokens, int outputTokens, FinishReason finishReason,
                               String contextMethod) {
}
