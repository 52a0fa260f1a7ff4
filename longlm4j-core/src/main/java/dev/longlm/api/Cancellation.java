package dev.longlm.api;

/**
 * Stops a generation between two tokens: {@link #cancel()} may be called from any thread (a UI, a request
 * that was abandoned); the generation then ends with {@link FinishReason#CANCELLED} and the text so far.
 */
public final class Cancellation {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
