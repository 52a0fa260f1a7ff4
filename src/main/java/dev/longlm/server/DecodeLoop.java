package dev.longlm.server;

import dev.longlm.chat.Completion;
import dev.longlm.generate.BatchDecoder;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.attention.PositionScheme;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvStore;
import dev.longlm.tokenizer.Tokenizer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The one thread that runs forward passes. Each iteration it picks up newly admitted jobs, drops
 * cancelled ones (freeing their slots), processes one prompt chunk of one prompting job (round-robin,
 * so a long prompt delays the others' tokens by one chunk per step rather than stalling them), then
 * samples a token for every decoding job and decodes all those tokens in one batched forward pass —
 * the weights are read once per step whatever the number of active requests. Each slot keeps its KV
 * store between requests, so a request allocates cache memory only when it needs more positions than
 * its slot's store has held so far (the store then grows to the request's size).
 */
final class DecodeLoop implements Runnable {
    /** Prompt tokens per iteration: the backend's batch, big enough for its matrix kernels, small enough not to stall decoding. */
    private final int promptChunk;

    private final Model model;
    private final Tokenizer tokenizer;
    private final Backend backend;
    private final SlotScheduler scheduler;
    private final BatchDecoder decoder;
    /** Stores of finished requests, ready for the next; at most one per slot ever exists. */
    private final Deque<KvStore> idleStores = new ArrayDeque<>();
    private final List<GenerationJob> active = new ArrayList<>();
    private int nextPrompt;

    DecodeLoop(Model model, Backend backend, SlotScheduler scheduler) {
        this.model = model;
        this.tokenizer = model.tokenizer();
        this.backend = backend;
        this.scheduler = scheduler;
        this.promptChunk = backend.promptBatch();
        this.decoder = new BatchDecoder(model, backend, scheduler.parallel());
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
            try {
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
        try {
            job.store = storeFor(job.plan.capacity());
            KvStore store = job.store;
            job.session = new Session(model, backend, job.plan.method(), store, job.plan.capacity(), promptChunk);
        } catch (Throwable e) {
            fail(job, e);
            return;
        }
        active.add(job);
        job.post(new GenerationJob.Started());
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
            float[] logits = job.session.append(prompt, job.prompted, n, null);
            job.prompted += n;
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
                    job.post(new GenerationJob.Finished(new GenerationService.Outcome(completion.text(),
                            completion.finishReason(), false, job.plan.promptTokens().length, completion.generatedTokens())));
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
            float[] logits = decoder.decode(sessions, tokens);
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

    /** An idle store of at least {@code capacity} positions: the largest idle one, replaced by a larger one if it is too small. */
    private KvStore storeFor(int capacity) {
        KvStore best = null;
        for (KvStore s : idleStores) {
            if (best == null || s.shape().capacity() > best.shape().capacity()) {
                best = s;
            }
        }
        if (best != null) {
            idleStores.remove(best);
            if (best.shape().capacity() >= capacity) {
                return best;
            }
            best.close(); // its memory goes before the larger one is claimed
        }
        return backend.kvStore(Session.shape(model.config(), capacity, PositionScheme.PLAIN));
    }

    /** Frees the job's slot and returns its store to the idle ones. */
    private void release(GenerationJob job) {
        if (job.session != null) {
            job.session.close(); // its buffers; the store is the slot's and stays
        }
        if (job.store != null) {
            idleStores.push(job.store);
            job.store = null;
        }
        scheduler.releaseSlot();
    }

    /** Frees the job's slot before telling its thread, so a client that sees the answer sees the slot free. */
    private void fail(GenerationJob job, Throwable error) {
        release(job);
        job.post(new GenerationJob.Failed(error));
    }
}
