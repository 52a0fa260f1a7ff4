package dev.longlm.server;

import dev.longlm.generate.Completion;
import dev.longlm.generate.Session;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One request from admission to its outcome. The {@link DecodeLoop} thread computes it and posts
 * {@link Event}s; the request's HTTP thread takes them and writes to the client, so a slow client
 * never holds up the batch. Cancelling (the client went away) is a flag the loop checks every
 * iteration.
 */
final class GenerationJob {
    sealed interface Event permits Started, Stepped, Finished, Failed {
    }

    /** The job holds a slot and its prompt is about to be processed. */
    record Started() implements Event {
    }

    record Stepped(Completion.Step step) implements Event {
    }

    /** Generation ended; the slot is already free. */
    record Finished(GenerationService.Outcome outcome) implements Event {
    }

    /** Processing threw (anything, an {@link OutOfMemoryError} included); the slot is already free. */
    record Failed(Throwable error) implements Event {
    }

    final CompletionRequest request;
    final GenerationService.Plan plan;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile boolean cancelled;

    // Touched only by the decode loop's thread.
    Session session;
    /** The slot the job runs in, from its start until it is released. */
    Slot slot;
    /** Prompt tokens already in the session. */
    int prompted;
    /** Prompt tokens the slot's cache supplied (not computed). */
    int cachedTokens;
    /** When the job's prompt started to be processed (System.nanoTime). */
    long promptStart;
    /** Null while the prompt is being processed. */
    Completion completion;

    GenerationJob(CompletionRequest request, GenerationService.Plan plan) {
        this.request = request;
        this.plan = plan;
    }

    void post(Event event) {
        events.add(event);
    }

    Event nextEvent() throws InterruptedException {
        return events.take();
    }

    /** The next event, or null when none came within {@code nanos}. */
    Event nextEvent(long nanos) throws InterruptedException {
        return events.poll(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }

    boolean promptDone() {
        return prompted == plan.promptTokens().length;
    }
}
