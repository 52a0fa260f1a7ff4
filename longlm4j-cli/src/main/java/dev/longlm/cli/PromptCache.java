package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.OutputFile;
import dev.longlm.attention.ContextMethod;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvStore;
import dev.longlm.generate.CachedTokens;
import dev.longlm.generate.KvCacheFile;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code --prompt-cache FILE} of {@code generate} and {@code chat}, as llama.cpp's: when the file exists
 * its KV cache is loaded and the run keeps the prefix it shares with the new prompt; when the run ends
 * the cache is written back ({@link KvCacheFile}, atomically). The session's ring keeps every position's
 * true-position key, so that under Self-Extend a later run may keep any prefix of it.
 */
final class PromptCache {
    private final Path file;

    PromptCache(Path file) {
        this.file = file;
        OutputFile.requireWritable(file);
    }

    /** A session of {@code capacity} positions holding what the file holds (nothing when it does not exist yet). */
    Session open(Model model, Backend backend, ContextMethod method, int capacity, PrintStream log) {
        String key = Session.schemeKey(model, method, capacity);
        if (key == null) {
            throw new InputException("--prompt-cache cannot keep the cache of " + method.describe()
                    + ", whose keys change as the input grows; use another context method or drop --prompt-cache");
        }
        KvStore store = backend.kvStore(Session.shape(model.config(), capacity, method.positionScheme()));
        CachedTokens cached = CachedTokens.EMPTY;
        if (KvCacheFile.exists(file)) {
            KvCacheFile.Header header = KvCacheFile.readHeader(file, model, store.element());
            KvCacheFile.requireScheme(file, header, key, method.describe());
            if (header.positions() >= capacity) {
                throw new InputException(file + ": the prompt cache holds " + header.positions() + " tokens, the context only "
                        + capacity + "; raise --ctx or delete the file");
            }
            cached = KvCacheFile.load(file, header, backend, store, ringSlots(method, capacity));
        }
        return new Session(model, backend, method, store, capacity, backend.promptBatch(),
                new Session.StoreUse(cached, cached.length(), true));
    }

    /**
     * The ring a prompt-cache session keeps: every position's true-position key (a second copy of the keys,
     * {@code capacity} slots) for schemes with a ring, so a later run may keep any prefix; what
     * {@link SessionMemory#check} must count for it.
     */
    static int ringSlots(ContextMethod method, int capacity) {
        return method.positionScheme().ringSlots() == 0 ? 0 : capacity;
    }

    /** Keeps as much of what {@code session} holds as {@code prompt} shares with it; returns how many tokens. */
    static int keepFor(Session session, int[] prompt, PrintStream log) {
        int held = session.length();
        int keep = session.cachedTokens().reusable(session.schemeKey(), prompt);
        session.rewind(keep);
        if (held > 0) {
            log.println("longlm: prompt cache: " + keep + " of " + prompt.length + " prompt tokens reused (the file held " + held + ")");
        }
        return keep;
    }

    void save(Model model, Session session) {
        KvCacheFile.save(file, model, session.backend(), session.sequence().store(), session.cachedTokens(), session.method().describe());
    }
}
