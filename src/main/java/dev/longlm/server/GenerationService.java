package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.SelfExtend;
import dev.longlm.chat.ChatTemplate;
import dev.longlm.chat.Completion;
import dev.longlm.generate.constraint.TokenConstraint;
import dev.longlm.model.Model;
import dev.longlm.backend.Backend;
import dev.longlm.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Turns validated requests into completions: prompt rendering and tokenization, the context and
 * Self-Extend decision, then a slot and a fresh KV cache per request in the {@link DecodeLoop}, which
 * advances all active requests together with one batched forward pass per token.
 */
public final class GenerationService implements AutoCloseable {
    /** Receives each step; returning false (client gone) cancels the request and frees its slot. */
    @FunctionalInterface
    public interface StepSink {
        boolean accept(Completion.Step step);
    }

    /** What a request will run with, decided before it takes a slot so bad input is refused at once. */
    public record Plan(int[] promptTokens, ContextMethod method, int capacity, List<String> stop, TokenConstraint constraint) {
    }

    public record Outcome(String text, Completion.FinishReason finishReason, boolean cancelled, int promptTokens,
                          int completionTokens) {
    }

    private final Model model;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final SlotScheduler scheduler;
    private final Thread loopThread;
    private final ServerOptions options;
    private final Function<JsonNode, TokenConstraint> constraints;

    public GenerationService(Model model, ChatTemplate template, Backend backend, ServerOptions options,
                             Function<JsonNode, TokenConstraint> constraints) {
        this.model = model;
        this.tokenizer = model.tokenizer();
        this.template = template;
        this.options = options;
        this.constraints = constraints;
        this.scheduler = new SlotScheduler(options.parallel(), options.queueCapacity());
        this.loopThread = Thread.ofPlatform().name("longlm-decode-loop").daemon()
                .start(new DecodeLoop(model, backend, scheduler, options.contextLimit()));
    }

    public SlotScheduler scheduler() {
        return scheduler;
    }

    public ServerOptions options() {
        return options;
    }

    public Plan plan(CompletionRequest request) {
        int[] tokens;
        List<String> stop = new ArrayList<>(request.stop());
        if (request.chat()) {
            String prompt;
            try {
                prompt = template.render(request.messages(), true);
            } catch (InputException e) {
                throw ApiException.badRequest("invalid_messages", e.getMessage());
            }
            boolean addBos = tokenizer.addBosByDefault() && tokenizer.bosId() >= 0;
            // As llama.cpp: a template that writes the BOS text itself does not get a second BOS.
            String bosText = tokenizer.bosId() >= 0 ? tokenizer.tokenText(tokenizer.bosId()) : "";
            if (addBos && !bosText.isEmpty() && prompt.startsWith(bosText)) {
                prompt = prompt.substring(bosText.length());
            }
            tokens = tokenizer.encode(prompt, addBos, true);
            stop.addAll(template.stopStrings());
        } else {
            tokens = tokenizer.encode(request.prompt(), tokenizer.addBosByDefault(), false);
        }
        int limit = options.contextLimit();
        int trained = model.config().contextLength();
        if (tokens.length == 0 || (tokens.length == 1 && tokens[0] == tokenizer.bosId())) {
            throw ApiException.badRequest("empty_prompt", "the prompt is empty");
        }
        int capacity;
        if (request.maxTokens() >= 0) {
            long needed = (long) tokens.length + request.maxTokens();
            if (needed > limit) {
                throw ApiException.badRequest("context_length_exceeded", "the prompt has " + tokens.length
                        + " tokens and max_tokens is " + request.maxTokens() + ", together " + needed
                        + ", over this server's limit of " + limit + " (--ctx); shorten the prompt or lower max_tokens");
            }
            capacity = (int) needed;
        } else {
            if (tokens.length >= limit) {
                throw ApiException.badRequest("context_length_exceeded", "the prompt has " + tokens.length
                        + " tokens, leaving no room under this server's limit of " + limit + " (--ctx)");
            }
            // Unbounded requests may generate up to one trained context more, within the limit.
            capacity = (int) Math.min(limit, (long) tokens.length + trained);
        }
        ContextMethod method;
        try {
            if (request.contextMethod() != null) {
                method = request.contextMethod();
                method.checkFits(capacity, trained);
            } else if (options.method() != null) {
                method = options.method();
                if (capacity > method.maxLength(trained) && !(method instanceof dev.longlm.attention.Plain)) {
                    throw new InputException("the request needs " + capacity + " positions, over the maximum "
                            + method.maxLength(trained) + " of " + method.describe());
                }
            } else {
                method = SelfExtend.auto(trained, capacity, null);
            }
        } catch (InputException e) {
            throw ApiException.badRequest("context_length_exceeded", e.getMessage());
        }
        TokenConstraint constraint = null;
        if (request.responseSchema() != null) {
            try {
                constraint = constraints.apply(request.responseSchema());
            } catch (InputException e) {
                throw ApiException.badRequest("invalid_schema", "response_format: " + e.getMessage());
            }
        }
        return new Plan(tokens, method, capacity, stop, constraint);
    }

    /**
     * Queues the request for a slot, then relays its steps from the decode loop to {@code sink} as they
     * come. Returns when generation ends, or at once (cancelled) when the sink reports the client gone;
     * the slot is freed either way, also when this thread is interrupted.
     */
    public Outcome run(CompletionRequest request, Plan plan, Runnable onSlot, StepSink sink) throws InterruptedException {
        GenerationJob job = new GenerationJob(request, plan);
        scheduler.submit(job);
        boolean ended = false;
        int steps = 0;
        try {
            while (true) {
                switch (job.nextEvent()) {
                    case GenerationJob.Started started -> {
                        if (onSlot != null) {
                            onSlot.run();
                        }
                    }
                    case GenerationJob.Stepped(Completion.Step step) -> {
                        steps++;
                        if (!sink.accept(step)) {
                            return new Outcome("", null, true, plan.promptTokens().length, steps);
                        }
                    }
                    case GenerationJob.Finished(Outcome outcome) -> {
                        ended = true;
                        return outcome;
                    }
                    case GenerationJob.Failed(RuntimeException error) -> {
                        ended = true;
                        throw error;
                    }
                }
            }
        } finally {
            if (!ended) {
                scheduler.cancel(job);
            }
        }
    }

    /** Stops the decode loop; requests still running are failed. */
    @Override
    public void close() {
        scheduler.close();
        try {
            loopThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String modelId() {
        return options.modelId();
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }
}
