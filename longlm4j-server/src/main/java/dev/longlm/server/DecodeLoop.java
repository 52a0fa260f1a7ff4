package dev.longlm.server;

import dev.longlm.generate.Completion;
import dev.longlm.generate.BatchDecoder;
import dev.longlm.generate.CachedTokens;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.attention.PositionScheme;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvStore;
import dev.longlm.tokenizer.Tokenizer;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The one thread that runs forward passes. Each iteration it runs queued slot tasks (save, restore),
 * picks up newly admitted jobs, drops cancelled ones (freeing their slots), processes one prompt chunk
 * of one prompting job (round-robin, so a long prompt delays the others' tokens by one chunk per step
 * rather than stalling them), then samples a token for every decoding job and decodes all those tokens
 * in one batched forward pass — the weights are read once per step whatever the number of active
 * requests.
 *
 * <p>Each {@link Slot} keeps its KV store between requests, so a request allocates cache memory only when
 * it needs more positions than its slot's store has held so far, and — with prompt caching — what the
 * store holds: a new request goes to the free slot whose cached tokens share the longest prefix with its
 * prompt (under the same position scheme and RoPE), and only the rest of its prompt is computed.
 */
final class DecodeLoop implements Runnable {
    /** Prompts needing at least this many chunks computed get progress lines in the log. */
    private static final int PROGRESS_CHUNKS = 16;

    /** Prompt tokens per iteration: the backend's batch, big enough for its matrix kernels, small enough not to stall decoding. */
    private final int promptChunk;

    private final Model model;
    private final Tokenizer tokenizer;
    private final Backend backend;
    private final SlotScheduler scheduler;
    private final BatchDecoder decoder;
    private final ServerOptions options;
    private final ServerMetrics metrics;
    private final PrintStream log;
    private final List<Slot> slots = new ArrayList<>();
    /** What {@code GET /slots} reads: replaced (never changed) by this thread after every change. */
    private volatile List<Slot.SlotStatus> statuses;
    private final List<GenerationJob> active = new ArrayList<>();
    private int nextPrompt;
    private long iteration;

    DecodeLoop(Model model, Backend backend, SlotScheduler scheduler, ServerOptions options, ServerMetrics metrics, PrintStream log) {
        this.model = model;
        this.tokenizer = model.tokenizer();
        this.backend = backend;
        this.scheduler = scheduler;
        this.options = options;
        this.metrics = metrics;
        this.log = log;
        this.promptChunk = backend.promptBatch();
        this.decoder = new BatchDecoder(model, backend, scheduler.parallel());
        for (int i = 0; i < scheduler.parallel(); i++) {
            slots.add(new Slot(i));
        }
        publish();
    }

    List<Slot.SlotStatus> statuses() {
        return statuses;
    }

    /** The slots, for tasks that run on this thread ({@link SlotFiles}). */
    List<Slot> slots() {
        return slots;
    }

    /** Publishes the slots' state for other threads; called by this thread after each change. */
    void publish() {
        statuses = slots.stream().map(Slot::status).toList();
    }

    /**
     * Runs until the scheduler closes. Whatever one job throws — an {@link OutOfMemoryError} for a
     * cache too large, a bug — fails that job (or, escaping the job's own handling, the jobs of
     * that iteration) and frees its slot; the loop itself goes on, since every other request
     * depends on it.
     */
    @Override
    public void run() {
        while (true) {
            List<GenerationJob> fresh;
            try {
                fresh = scheduler.takeAdmitted(active.isEmpty());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (scheduler.closed()) {
                break;
            }
            iteration++;
            try {
                for (Runnable task : scheduler.takeTasks()) {
                    task.run(); // tasks catch their own failures and hand them to their caller
                }
                for (GenerationJob job : fresh) {
                    start(job);
                }
                active.removeIf(job -> {
                    if (job.cancelled()) {
                        release(job);
                        return true;
                    }
                    return false;
                });
                processPromptChunk();
                decodeStep();
            } catch (Throwable unexpected) {
                for (GenerationJob job : List.copyOf(active)) {
                    active.remove(job);
                    fail(job, unexpected);
                }
            }
            publish();
        }
        for (GenerationJob job : List.copyOf(active)) {
            active.remove(job);
            fail(job, new ApiException(503, "server_error", "shutting_down", "the server is shutting down; retry on another instance"));
        }
    }

    private void start(GenerationJob job) {
        if (job.cancelled()) {
            scheduler.releaseSlot();
            return;
        }
        Slot slot = slotFor(job);
        try {
            GenerationService.Plan plan = job.plan;
            // A store that would claim more than the request's memory check counted is replaced by one of its size.
            if (!slot.storeServes(plan.capacity(), options.cachePrompt() && plan.method().positionScheme().ringSlots() > 0)) {
                if (slot.store != null) {
                    slot.store.close(); // its memory goes before the new one is claimed
                    slot.store = null;
                }
                slot.cached = CachedTokens.EMPTY;
                slot.store = backend.kvStore(Session.shape(model.config(), plan.capacity(), PositionScheme.PLAIN));
            }
            boolean reuse = options.cachePrompt() && job.request.cachePrompt();
            int keep = reuse ? slot.cached.reusable(plan.schemeKey(), plan.promptTokens()) : 0;
            CachedTokens cached = slot.cached;
            slot.cached = CachedTokens.EMPTY; // the request changes the store from here on
            slot.job = job;
            slot.method = plan.method().describe();
            job.slot = slot;
            job.session = new Session(model, backend, plan.method(), slot.store, plan.capacity(), promptChunk,
                    new Session.StoreUse(cached, keep, options.cachePrompt()));
            job.prompted = keep;
            job.cachedTokens = keep;
            job.promptStart = System.nanoTime();
            metrics.promptStarted(plan.promptTokens().length, keep);
        } catch (Throwable e) {
            fail(job, e);
            return;
        }
        active.add(job);
        publish();
        job.post(new GenerationJob.Started());
    }

    /**
     * The free slot for {@code job}: the one whose cache shares the longest reusable prefix with its
     * prompt; without one, the least recently used free slot whose store is large enough, else the free
     * slot with the largest store (to be replaced by a larger one), else an empty one.
     */
    private Slot slotFor(GenerationJob job) {
        List<Slot> free = slots.stream().filter(s -> s.job == null).toList();
        if (free.isEmpty()) {
            throw new IllegalStateException("the scheduler admitted more jobs than there are slots");
        }
        GenerationService.Plan plan = job.plan;
        Slot best = null;
        int bestReuse = 0;
        if (options.cachePrompt() && job.request.cachePrompt()) {
            for (Slot s : free) {
                int reuse = s.store != null && s.store.shape().capacity() >= plan.capacity()
                        ? s.cached.reusable(plan.schemeKey(), plan.promptTokens()) : 0;
                if (reuse > bestReuse) {
                    best = s;
                    bestReuse = reuse;
                }
            }
        }
        if (best != null) {
            return best;
        }
        return free.stream().filter(s -> s.store != null && s.store.shape().capacity() >= plan.capacity())
                .min(Comparator.comparingLong(s -> s.lastUsed))
                .or(() -> free.stream().filter(s -> s.store != null).max(Comparator.comparingInt(s -> s.store.shape().capacity())))
                .orElse(free.getFirst());
    }

    /** One chunk of the next prompting job's prompt; the last chunk's logits start its completion. */
    private void processPromptChunk() {
        List<GenerationJob> prompting = active.stream().filter(job -> job.completion == null).toList();
        if (prompting.isEmpty()) {
            return;
        }
        GenerationJob job = prompting.get(nextPrompt++ % prompting.size());
        int[] prompt = job.plan.promptTokens();
        int n = Math.min(promptChunk, prompt.length - job.prompted);
        try {
            long started = System.nanoTime();
            float[] logits = job.session.append(prompt, job.prompted, n, null);
            metrics.prefilled(n, System.nanoTime() - started);
            job.prompted += n;
            logProgress(job, n);
            if (job.promptDone()) {
                CompletionRequest request = job.request;
                job.completion = new Completion(job.session, tokenizer, new Sampler(request.sampling(), tokenizer.vocabSize()),
                        logits, new Completion.Options(request.maxTokens(), job.plan.stop(), request.topLogprobs(),
                        job.plan.constraint()), null);
            }
        } catch (Throwable e) {
            active.remove(job);
            fail(job, e);
        }
    }

    /** A line per quarter of a long prompt, and one at its end with the rate. */
    private void logProgress(GenerationJob job, int n) {
        int total = job.plan.promptTokens().length - job.cachedTokens;
        if (total < PROGRESS_CHUNKS * promptChunk) {
            return;
        }
        int done = job.prompted - job.cachedTokens;
        if (4L * done / total != 4L * (done - n) / total || job.promptDone()) {
            double seconds = (System.nanoTime() - job.promptStart) / 1e9;
            log.printf(java.util.Locale.ROOT, "longlm serve: slot %d: prompt %d/%d tokens (%d%%, %d cached), %.0f tok/s%n", job.slot.id,
                    done, total, 100L * done / total, job.cachedTokens, done / Math.max(seconds, 1e-9));
        }
    }

    /** Samples each decoding job's next token, then decodes them all in one forward pass. */
    private void decodeStep() {
        List<GenerationJob> rows = new ArrayList<>();
        for (GenerationJob job : List.copyOf(active)) {
            if (job.completion == null) {
                continue;
            }
            try {
                Completion completion = job.completion;
                Completion.Step step = completion.next();
                if (step != null) {
                    job.post(new GenerationJob.Stepped(step));
                }
                if (step == null || completion.finishReason() != null) {
                    active.remove(job);
                    release(job);
                    metrics.generated(completion.generatedTokens());
                    job.post(new GenerationJob.Finished(new GenerationService.Outcome(completion.text(),
                            completion.finishReason(), false, job.plan.promptTokens().length, completion.generatedTokens(),
                            job.cachedTokens)));
                } else {
                    rows.add(job);
                }
            } catch (Throwable e) {
                active.remove(job);
                fail(job, e);
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        List<Session> sessions = rows.stream().map(job -> job.session).toList();
        int[] tokens = rows.stream().mapToInt(job -> job.completion.uncommittedToken()).toArray();
        try {
            long started = System.nanoTime();
            float[] logits = decoder.decode(sessions, tokens);
            metrics.decoded(System.nanoTime() - started);
            for (int i = 0; i < rows.size(); i++) {
                rows.get(i).completion.tokenDecoded(logits, decoder.logitsOffset(i));
            }
        } catch (Throwable e) {
            for (GenerationJob job : rows) {
                active.remove(job);
                fail(job, e);
            }
        }
    }

    /** Frees the job's slot; the slot keeps its store and, unless the job failed, what the store now holds. */
    private void release(GenerationJob job) {
        release(job, true);
    }

    private void release(GenerationJob job, boolean keepCache) {
        Slot slot = job.slot;
        if (slot != null) {
            slot.cached = keepCache && job.session != null ? job.session.cachedTokens() : CachedTokens.EMPTY;
            slot.job = null;
            slot.lastUsed = iteration;
            job.slot = null;
        }
        if (job.session != null) {
            job.session.close(); // its buffers; the store is the slot's and stays
        }
        scheduler.releaseSlot();
        publish(); // before the job's thread hears of its end: /slots then shows the slot free
    }

    /** Frees the job's slot before telling its thread, so a client that sees the answer sees the slot free. */
    private void fail(GenerationJob job, Throwable error) {
        release(job, false); // a forward pass may have stopped half-way: the store's contents are not to be trusted
        job.post(new GenerationJob.Failed(error));
    }
}
