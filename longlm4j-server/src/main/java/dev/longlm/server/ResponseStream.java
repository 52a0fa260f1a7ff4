package dev.longlm.server;

import dev.longlm.generate.Completion;

import java.io.IOException;

/** How a completion reaches the client: all at once, or as server-sent events. */
interface ResponseStream {
    /** The request has a slot and generation starts: commit the status line. */
    void begin();

    /** A generated step; false when the client has gone (the request is then cancelled). */
    boolean step(Completion.Step step);

    void finish(GenerationService.Outcome outcome) throws IOException;

    /** Whether {@link #begin} has sent a status line (an error can then only end the body). */
    boolean begun();

    /** Ends a begun response with {@code error} in the body (streams: an error event, then {@code [DONE]}). */
    void fail(ApiException error) throws IOException;
}
