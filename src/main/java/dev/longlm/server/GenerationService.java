package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.SelfExtend;
import dev.longlm.chat.ChatTemplate;
import dev.longlm.chat.Completion;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.Session;
import dev.longlm.generate.constraint.TokenConstraint;
import dev.longlm.model.Model;
import dev.longlm.tensor.Parallel;
import dev.longlm.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Turns validated requests into completions: prompt rendering and tokenization, the context and
 * Self-Extend decision, a slot and a fresh KV cache per request, and the token loop.
 */
public final class GenerationService {
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
    private final Parallel pool;
    private final SlotScheduler scheduler;
    private final ServerOptions options;
    private final Function<JsonNode, TokenConstraint> constraints;

    public GenerationService(Model model, ChatTemplate template, Parallel pool, ServerOptions options,
                             Function<JsonNode, TokenConstraint> constraints) {
        this.model = model;
        this.tokenizer = model.tokenizer();
        this.template = template;
        this.pool = pool;
        this.options = options;
        this.constraints = constraints;
        this.scheduler = new SlotScheduler(options.parallel(), options.queueCapacity());
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
            if (request.selfExtend() != null) {
                SelfExtend se = request.selfExtend();
                se.checkFits(capacity, trained);
                method = ContextMethod.selfExtend(se.groupSize(), se.window());
            } else if (options.method() != null) {
                method = options.method();
                if (capacity > method.maxLength(trained) && method.kind() != ContextMethod.Kind.NONE) {
                    throw new InputException("the request needs " + capacity + " positions, over the maximum "
                            + method.maxLength(trained) + " of " + method.describe());
                }
            } else {
                SelfExtend se = capacity > trained ? SelfExtend.auto(trained, capacity, null) : SelfExtend.NONE;
                method = ContextMethod.selfExtend(se.groupSize(), se.window());
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

    /** Waits for a slot, then generates; the slot is freed when this returns, whatever happens. */
    public Outcome run(CompletionRequest request, Plan plan, Runnable onSlot, StepSink sink) throws InterruptedException {
        try (SlotScheduler.Slot slot = scheduler.acquire()) {
            if (onSlot != null) {
                onSlot.run();
            }
            Session session = Session.create(model, plan.method(), plan.capacity(), pool);
            float[] logits = scheduler.forward(() -> session.append(plan.promptTokens()));
            Sampler sampler = new Sampler(request.sampling(), tokenizer.vocabSize());
            Completion completion = new Completion(session, tokenizer, sampler, logits,
                    new Completion.Options(request.maxTokens(), plan.stop(), request.topLogprobs(), plan.constraint()), scheduler::forward);
            boolean cancelled = false;
            Completion.Step step;
            while ((step = completion.next()) != null) {
                if (!sink.accept(step)) {
                    cancelled = true;
                    break;
                }
            }
            return new Outcome(completion.text(), completion.finishReason(), cancelled, plan.promptTokens().length,
                    completion.generatedTokens());
        }
    }

    public String modelId() {
        return options.modelId();
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }
}
