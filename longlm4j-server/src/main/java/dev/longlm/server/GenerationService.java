package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.SelfExtend;
import dev.longlm.chat.ChatTemplate;
import dev.longlm.generate.Completion;
import dev.longlm.generate.constraint.TokenConstraint;
import dev.longlm.model.MemoryEstimate;
import dev.longlm.structured.JsonSchemaConstraints;
import dev.longlm.structured.ToolCallSyntax;
import dev.longlm.model.Model;
import dev.longlm.backend.Backend;
import dev.longlm.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

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

    /**
     * What a request will run with, decided before it takes a slot so bad input is refused at once.
     *
     * @param schemeKey  what cached keys must have been computed under to be reused ({@link Session#schemeKey}); null: none
     * @param toolSyntax how the reply's function calls are written (it is parsed for them); null without tools
     */
    public record Plan(int[] promptTokens, ContextMethod method, int capacity, List<String> stop, TokenConstraint constraint,
                       String schemeKey, ToolCallSyntax toolSyntax) {
        /** A plan whose keys are never reused, without tools. */
        public Plan(int[] promptTokens, ContextMethod method, int capacity, List<String> stop, TokenConstraint constraint) {
            this(promptTokens, method, capacity, stop, constraint, null, null);
        }
    }

    /** @param cachedTokens prompt tokens taken from a slot's cache rather than computed */
    public record Outcome(String text, Completion.FinishReason finishReason, boolean cancelled, int promptTokens,
                          int completionTokens, int cachedTokens) {
    }

    private final Model model;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final SlotScheduler scheduler;
    private final Thread loopThread;
    private final DecodeLoop loop;
    private final SlotFiles slotFiles;
    private final ServerMetrics metrics = new ServerMetrics();
    private final ServerOptions options;
    private final JsonSchemaConstraints constraints;
    /** How this model's template writes function calls. */
    private final ToolCallSyntax toolSyntax;
    /** Heap free for KV caches once the model and the decode loop's buffers are in memory. */
    private final long sessionBudget;
    private final Backend backend;
    /** Bytes of text the longest token stands for: a prompt of more than limit × this cannot fit, whatever its tokens. */
    private final int maxTokenBytes;
    /** Room in a request body for everything but the prompt: other fields, a schema, JSON escapes' overhead. */
    static final int BODY_OVERHEAD_BYTES = 64 << 10;
    /** The JDK server's cap, whatever the context: one request never holds more. */
    static final int MAX_BODY_BYTES = 16 << 20;

    public GenerationService(Model model, ChatTemplate template, Backend backend, ServerOptions options,
                             JsonSchemaConstraints constraints) {
        this(model, template, backend, options, constraints, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    }

    /** @param log where progress of long prompts and slot actions are reported */
    public GenerationService(Model model, ChatTemplate template, Backend backend, ServerOptions options,
                             JsonSchemaConstraints constraints, java.io.PrintStream log) {
        this.model = model;
        this.tokenizer = model.tokenizer();
        this.template = template;
        this.options = options;
        this.constraints = constraints;
        this.toolSyntax = ToolCallSyntax.of(template);
        this.scheduler = new SlotScheduler(options.parallel(), options.queueCapacity());
        this.maxTokenBytes = longestToken(tokenizer);
        this.loop = new DecodeLoop(model, backend, scheduler, options, metrics, log);
        this.slotFiles = new SlotFiles(model, backend, options, loop, scheduler, log);
        this.backend = backend;
        this.sessionBudget = backend.memoryBudget().availableBytes();
        this.loopThread = Thread.ofPlatform().name("longlm-decode-loop").daemon().start(loop);
    }

    private static int longestToken(Tokenizer tokenizer) {
        int longest = 1;
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            longest = Math.max(longest, Math.max(tokenizer.tokenBytes(id, true).length,
                    tokenizer.tokenText(id).getBytes(java.nio.charset.StandardCharsets.UTF_8).length));
        }
        return longest;
    }

    /**
     * The largest request body worth reading: a prompt filling the context, each of its characters
     * escaped as JSON's six-byte backslash-u escape, plus room for the other fields; at most 16 MiB.
     */
    public int maxBodyBytes() {
        return (int) Math.min(MAX_BODY_BYTES, 6L * options.contextLimit() * maxTokenBytes + BODY_OVERHEAD_BYTES);
    }

    /**
     * Refuses text that cannot fit before tokenizing it: no token stands for more than
     * {@link #maxTokenBytes} bytes, so tokenizing costs at most the context's worth of text.
     */
    private void checkTextLength(String text) {
        long bytes = utf8Length(text);
        long most = (long) options.contextLimit() * maxTokenBytes + 8;
        if (bytes > most) {
            throw ApiException.badRequest("context_length_exceeded", "the prompt has " + bytes + " bytes of text, more than "
                    + options.contextLimit() + " tokens (this server's limit, --ctx) can hold; shorten the prompt");
        }
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return n;
    }

    /** The memory one request of {@code capacity} positions adds: its KV cache and prompt buffers. */
    public MemoryEstimate sessionMemory(ContextMethod method, int capacity) {
        // With prompt caching a ring keeps every position's true-position key (a second copy of the keys).
        int ring = method.positionScheme().ringSlots() == 0 ? 0 : options.cachePrompt() ? capacity : method.positionScheme().ringSlots();
        var budget = backend.memoryBudget();
        return MemoryEstimate.of(model.file(), model.config(), capacity, ring, backend.promptBatch(), false,
                budget.kvElementBytes(), budget.weightsResident()).withoutWeights();
    }

    /**
     * The most one slot's store claims: the KV cache of {@code --ctx} positions and, with prompt caching, a
     * ring of the same size (a request may run Self-Extend, automatically or by asking; its ring then keeps a
     * key of every position of the store), else the window of the server's method or of automatic Self-Extend.
     */
    public MemoryEstimate slotMemory() {
        int limit = options.contextLimit();
        ContextMethod widest = options.method() != null ? options.method()
                : SelfExtend.auto(model.config().contextLength(), limit, null);
        int ring = options.cachePrompt() ? limit : widest.positionScheme().ringSlots();
        var budget = backend.memoryBudget();
        return MemoryEstimate.of(model.file(), model.config(), limit, ring, backend.promptBatch(), false,
                budget.kvElementBytes(), budget.weightsResident()).withoutWeights();
    }

    /** Heap the server had for KV caches when it started. */
    public long sessionBudget() {
        return sessionBudget;
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
                boolean toolHistory = request.messages().stream().anyMatch(m -> !m.toolCalls().isEmpty() || m.role().equals("tool"));
                if (request.toolsActive() || toolHistory) {
                    ToolCallSyntax.Rendering rendering = toolSyntax.prepare(request.messages(),
                            request.toolsActive() ? request.tools() : List.of());
                    prompt = template.render(rendering.messages(), true, rendering.context());
                } else {
                    prompt = template.render(request.messages(), true);
                }
            } catch (InputException e) {
                throw ApiException.badRequest("invalid_messages", e.getMessage());
            }
            boolean addBos = tokenizer.addBosByDefault() && tokenizer.bosId() >= 0;
            // As llama.cpp: a template that writes the BOS text itself does not get a second BOS.
            String bosText = tokenizer.bosId() >= 0 ? tokenizer.tokenText(tokenizer.bosId()) : "";
            if (addBos && !bosText.isEmpty() && prompt.startsWith(bosText)) {
                prompt = prompt.substring(bosText.length());
            }
            checkTextLength(prompt);
            tokens = tokenizer.encode(prompt, addBos, true);
            stop.addAll(template.stopStrings());
        } else {
            checkTextLength(request.prompt());
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
        checkMemory(method, capacity, request);
        TokenConstraint constraint = null;
        if (request.toolsActive() && request.toolChoice().forced()) {
            try {
                constraint = constraints.apply(toolSyntax.grammar(request.tools(), request.toolChoice().function(),
                        request.parallelToolCalls()));
            } catch (InputException e) {
                throw ApiException.badRequest("invalid_schema", "tools: " + e.getMessage());
            }
            int budget = request.maxTokens() >= 0 ? Math.min(request.maxTokens(), capacity - tokens.length) : capacity - tokens.length;
            if (!constraints.canFinishWithin(constraint, budget)) {
                throw ApiException.badRequest("invalid_schema", "tools: no call of the forced function fits in " + budget
                        + " tokens; raise max_tokens");
            }
        }
        if (request.responseSchema() != null) {
            try {
                constraint = constraints.apply(request.responseSchema());
            } catch (InputException e) {
                throw ApiException.badRequest("invalid_schema", "response_format: " + e.getMessage());
            }
            int budget = capacity - tokens.length;
            if (request.maxTokens() >= 0) {
                budget = Math.min(budget, request.maxTokens());
            }
            if (!constraints.canFinishWithin(constraint, budget)) {
                throw ApiException.badRequest("invalid_schema", "response_format: no output the schema accepts fits in " + budget
                        + " tokens" + (request.maxTokens() >= 0 ? " (max_tokens); raise max_tokens" : "; shorten the prompt")
                        + " or simplify the schema");
            }
        }
        return new Plan(tokens, method, capacity, stop, constraint, dev.longlm.generate.Session.schemeKey(model, method, capacity),
                request.toolsActive() ? toolSyntax : null);
    }

    /** Refuses, before a slot is taken, a request whose cache could not fit even with the server idle. */
    private void checkMemory(ContextMethod method, int capacity, CompletionRequest request) {
        String remedy = (request.maxTokens() >= 0 ? "lower max_tokens or shorten the prompt" : "set max_tokens")
                + " (or restart the server with a larger -Xmx or a smaller --ctx)";
        int cpuLimit = MemoryEstimate.maxCpuPositions(model.config());
        if (capacity > cpuLimit) {
            throw ApiException.badRequest("context_length_exceeded", "the request needs " + capacity
                    + " positions but the KV cache holds at most " + cpuLimit + "; " + remedy);
        }
        try {
            sessionMemory(method, capacity).requireFits(sessionBudget, "the request's context of " + capacity + " positions",
                    backend.memoryBudget().what(), remedy);
        } catch (InputException e) {
            throw ApiException.badRequest("context_length_exceeded", e.getMessage());
        }
    }

    /**
     * Queues the request for a slot, then relays its steps from the decode loop to {@code sink} as they
     * come. Returns when generation ends, or at once (cancelled) when the sink reports the client gone;
     * the slot is freed either way, also when this thread is interrupted.
     */
    public Outcome run(CompletionRequest request, Plan plan, Runnable onSlot, StepSink sink) throws InterruptedException {
        return run(request, plan, onSlot, sink, System.nanoTime());
    }

    /**
     * As {@link #run(CompletionRequest, Plan, Runnable, StepSink)} for a request that arrived at {@code arrived}
     * ({@link System#nanoTime}): the time to its first token is measured from then, and it ends with a 503
     * {@code request_timeout} when it is still running {@link ServerOptions#timeoutSeconds} later.
     */
    public Outcome run(CompletionRequest request, Plan plan, Runnable onSlot, StepSink sink, long arrived) throws InterruptedException {
        GenerationJob job = new GenerationJob(request, plan);
        scheduler.submit(job);
        long deadline = options.timeoutSeconds() > 0 ? arrived + options.timeoutSeconds() * 1_000_000_000L : Long.MAX_VALUE;
        boolean ended = false;
        int steps = 0;
        try {
            while (true) {
                GenerationJob.Event event = job.nextEvent(Math.max(0, deadline - System.nanoTime()));
                if (event == null) {
                    throw new ApiException(503, "server_error", "request_timeout", "the request did not finish within "
                            + options.timeoutSeconds() + " s (--timeout); lower max_tokens or shorten the prompt");
                }
                switch (event) {
                    case GenerationJob.Started started -> {
                        if (onSlot != null) {
                            onSlot.run();
                        }
                    }
                    case GenerationJob.Stepped(Completion.Step step) -> {
                        if (steps++ == 0) {
                            metrics.firstToken(System.nanoTime() - arrived);
                        }
                        if (!sink.accept(step)) {
                            return new Outcome("", null, true, plan.promptTokens().length, steps, 0);
                        }
                    }
                    case GenerationJob.Finished(Outcome outcome) -> {
                        ended = true;
                        return outcome;
                    }
                    case GenerationJob.Failed(Throwable error) -> {
                        ended = true;
                        throw asApiError(error, plan);
                    }
                }
            }
        } finally {
            if (!ended) {
                scheduler.cancel(job);
            }
        }
    }

    ServerMetrics metrics() {
        return metrics;
    }

    /** What every slot holds and does now. */
    public List<Slot.SlotStatus> slots() {
        return loop.statuses();
    }

    SlotFiles slotFiles() {
        return slotFiles;
    }

    /** The Prometheus exposition of this server's counters. */
    public String metricsText() {
        return metrics.render(scheduler.busySlots(), scheduler.parallel(), scheduler.waitingRequests());
    }

    /**
     * What the client is told when its job failed in the decode loop: bad input as it was, running out
     * of memory as a 503 (others' caches may have been holding it; the request may fit later), anything
     * else as a 500.
     */
    private static RuntimeException asApiError(Throwable error, Plan plan) {
        if (error instanceof RuntimeException runtime && (runtime instanceof ApiException || runtime instanceof InputException)) {
            return runtime;
        }
        if (error instanceof OutOfMemoryError) {
            return new ApiException(503, "server_error", "out_of_memory", "the server ran out of memory for a context of "
                    + plan.capacity() + " positions; retry later, or lower max_tokens or the prompt");
        }
        return new ApiException(500, "server_error", "internal_error", "internal error: " + error.getClass().getSimpleName());
    }

    /** Whether the decode loop is running; /health reports the server unhealthy when it is not. */
    public boolean healthy() {
        return loopThread.isAlive() && !scheduler.closed();
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
