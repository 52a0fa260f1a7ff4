package dev.longlm.server;

import dev.longlm.InputException;
import dev.longlm.Printable;
import dev.longlm.attention.PositionScheme;
import dev.longlm.backend.Backend;
import dev.longlm.generate.CachedTokens;
import dev.longlm.generate.KvCacheFile;
import dev.longlm.generate.Session;
import dev.longlm.model.MemoryEstimate;
import dev.longlm.model.Model;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;

/**
 * {@code POST /slots/{id}?action=save|restore|erase}: a slot's cache to a file under
 * {@code --slot-save-path} and back ({@link KvCacheFile}), as llama.cpp's server does. Each action runs
 * on the decode loop's thread (the only one that touches the backend) between iterations, on an idle slot.
 */
final class SlotFiles {
    /** A file name, not a path: no separators, no leading dot. */
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    record Result(int id, String filename, int tokens, long bytes, double millis) {
    }

    private final Model model;
    private final Backend backend;
    private final ServerOptions options;
    private final DecodeLoop loop;
    private final SlotScheduler scheduler;
    private final PrintStream log;

    SlotFiles(Model model, Backend backend, ServerOptions options, DecodeLoop loop, SlotScheduler scheduler, PrintStream log) {
        this.model = model;
        this.backend = backend;
        this.options = options;
        this.loop = loop;
        this.scheduler = scheduler;
        this.log = log;
    }

    Result save(int id, String filename) throws InterruptedException {
        Path file = file(filename);
        return onLoop(() -> {
            Slot slot = idleSlot(id);
            if (slot.cached.length() == 0 || slot.store == null) {
                throw ApiException.badRequest("slot_empty", "slot " + id + " holds no cached tokens to save; send it a request first");
            }
            long started = System.nanoTime();
            KvCacheFile.save(file, model, backend, slot.store, slot.cached, slot.method);
            Result result = new Result(id, filename, slot.cached.length(), size(file), (System.nanoTime() - started) / 1e6);
            log.printf("longlm serve: slot %d saved to %s (%d tokens, %d bytes)%n", id, file, result.tokens(), result.bytes());
            return result;
        });
    }

    Result restore(int id, String filename) throws InterruptedException {
        Path file = file(filename);
        if (!Files.isRegularFile(file)) {
            throw new ApiException(404, "invalid_request_error", "not_found", "no slot file " + Printable.quoted(filename)
                    + " in --slot-save-path");
        }
        return onLoop(() -> {
            Slot slot = idleSlot(id);
            long started = System.nanoTime();
            KvCacheFile.Header header = KvCacheFile.readHeader(file, model, slot.store != null ? slot.store.element() : null);
            if (options.method() != null) {
                KvCacheFile.requireScheme(file, header, Session.schemeKey(model, options.method(), options.contextLimit()),
                        options.method().describe());
            }
            int n = header.positions();
            if (n >= options.contextLimit()) {
                throw ApiException.badRequest("context_length_exceeded", "the file holds " + n + " tokens, this server's limit is "
                        + options.contextLimit() + " (--ctx)");
            }
            // Room for a request that continues it by up to a trained context, as for a request without max_tokens.
            int capacity = (int) Math.min(options.contextLimit(), (long) n + model.config().contextLength());
            int window = header.cached().window();
            int ring = window == 0 ? 0 : options.cachePrompt() ? capacity : window;
            slot.cached = CachedTokens.EMPTY;
            if (!slot.storeServes(capacity, window > 0 && options.cachePrompt())) {
                if (slot.store != null) {
                    slot.store.close();
                    slot.store = null;
                }
                var budget = backend.memoryBudget();
                MemoryEstimate.of(model.file(), model.config(), capacity, ring, backend.promptBatch(), false, budget.kvElementBytes(),
                        budget.weightsResident()).withoutWeights().requireFits(budget.availableBytes(),
                        "restoring " + n + " tokens into slot " + id, budget.what(), budget.remedy());
                slot.store = backend.kvStore(Session.shape(model.config(), capacity, PositionScheme.PLAIN));
            }
            KvCacheFile.requireElement(file, header, slot.store.element());
            // The ring a request's session will want: every position's true-position key with caching, else the window.
            int slotRing = window == 0 ? 0 : options.cachePrompt() ? slot.store.shape().capacity() : window;
            slot.cached = KvCacheFile.load(file, header, backend, slot.store, slotRing);
            slot.method = header.description();
            Result result = new Result(id, filename, n, size(file), (System.nanoTime() - started) / 1e6);
            log.printf("longlm serve: slot %d restored from %s (%d tokens, %s)%n", id, file, n, header.description());
            return result;
        });
    }

    Result erase(int id) throws InterruptedException {
        return onLoop(() -> {
            Slot slot = idleSlot(id);
            int n = slot.cached.length();
            slot.cached = CachedTokens.EMPTY;
            return new Result(id, null, n, 0, 0);
        });
    }

    private Path file(String filename) {
        if (options.slotSavePath() == null) {
            throw new ApiException(501, "invalid_request_error", "not_supported",
                    "slot files are off; start the server with --slot-save-path FOLDER");
        }
        if (filename == null || !FILE_NAME.matcher(filename).matches()) {
            throw ApiException.badRequest("invalid_value", "'filename' must be a file name of letters, digits, '.', '_' and '-'"
                    + " (no folders), got " + Printable.quoted(String.valueOf(filename)));
        }
        return options.slotSavePath().resolve(filename);
    }

    private Slot idleSlot(int id) {
        if (id < 0 || id >= loop.slots().size()) {
            throw new ApiException(404, "invalid_request_error", "not_found", "no slot " + id + "; slots are 0 to "
                    + (loop.slots().size() - 1));
        }
        Slot slot = loop.slots().get(id);
        if (slot.job != null) {
            throw new ApiException(409, "invalid_request_error", "slot_busy", "slot " + id + " is processing a request; retry when it is idle");
        }
        return slot;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    /** Runs {@code work} on the decode loop's thread and waits for its result (or its exception). */
    private <T> T onLoop(Callable<T> work) throws InterruptedException {
        CompletableFuture<T> result = new CompletableFuture<>();
        scheduler.submitTask(() -> {
            T value = null;
            Throwable failure = null;
            try {
                value = work.call();
            } catch (Throwable e) {
                failure = e;
            }
            loop.publish(); // before the caller hears back: /slots then shows what the action did
            if (failure == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(failure);
            }
        });
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiException api) {
                throw api;
            }
            if (e.getCause() instanceof InputException input) {
                throw ApiException.badRequest("invalid_slot_file", input.getMessage());
            }
            if (e.getCause() instanceof OutOfMemoryError) {
                throw new ApiException(503, "server_error", "out_of_memory", "the server ran out of memory restoring the slot");
            }
            throw new ApiException(500, "server_error", "internal_error", "internal error: " + e.getCause().getClass().getSimpleName());
        }
    }
}
