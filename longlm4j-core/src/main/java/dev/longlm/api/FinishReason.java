package dev.longlm.api;

/** Why a generation ended. */
public enum FinishReason {
    /** The model ended its turn (end-of-generation token or a stop string), or constrained output was complete. */
    STOP,
    /** The token budget or the context was used up. */
    LENGTH,
    /** {@link Cancellation#cancel()} was called. */
    CANCELLED
}
