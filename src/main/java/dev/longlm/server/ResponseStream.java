package dev.longlm.server;

import dev.longlm.chat.Completion;

import java.io.IOException;

/** How a completion reaches the client: all at once, or as server-sent events. */
interface ResponseStream {
    /** The request has a slot and generation starts: commit the status line. */
    void begin();

    /** A generated step; false when the client has gone (the request is then cancelled). */
    boolean step(Completion.Step step);

    void finish(GenerationService.Outcome outcome) throws IOException;
}
