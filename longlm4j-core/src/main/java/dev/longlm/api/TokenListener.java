package dev.longlm.api;

/**
 * Receives generated text as it is produced, on the generating thread. The pieces concatenate to the
 * result's text (text that could begin a stop string is held back until it cannot).
 */
@FunctionalInterface
public interface TokenListener {
    void onText(String piece);

    /** Discards the text (for callers that only want the result). */
    TokenListener NONE = piece -> { };
}
