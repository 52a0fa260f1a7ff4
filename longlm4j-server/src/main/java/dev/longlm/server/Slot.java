package dev.longlm.server;

import dev.longlm.backend.KvStore;
import dev.longlm.generate.CachedTokens;

/**
 * One of the server's {@code --parallel} places for a request: the KV store it keeps between requests
 * (grown when a request needs more positions) and what that store holds, so that the next request
 * sharing a prefix with it computes only the rest. Touched only by the decode loop's thread.
 */
final class Slot {
    final int id;
    KvStore store;
    /** What {@link #store} holds; {@link CachedTokens#EMPTY} while a request runs in it or after a failure. */
    CachedTokens cached = CachedTokens.EMPTY;
    /** The context method the cached keys were computed under, for messages and /slots. */
    String method = "";
    GenerationJob job;
    /** When the slot last finished a request (a loop iteration count): the least recently used goes first. */
    long lastUsed;

    Slot(int id) {
        this.id = id;
    }

    /**
     * Whether the store can serve a session of {@code capacity} positions without claiming more memory than
     * a store of that size would: it is large enough and, when the session's ring is to keep a key of every
     * position of the store ({@code everyKeyRing}: prompt caching under a scheme with a ring), either of that
     * size or already holding such a ring (a larger store would otherwise claim a ring beyond what was checked).
     */
    boolean storeServes(int capacity, boolean everyKeyRing) {
        if (store == null || store.shape().capacity() < capacity) {
            return false;
        }
        return !everyKeyRing || store.shape().capacity() == capacity || store.shape().ringSlots() == store.shape().capacity();
    }

    SlotStatus status() {
        return new SlotStatus(id, job != null, store == null ? 0 : store.shape().capacity(),
                job != null && job.session != null ? job.session.length() : cached.length(), method,
                job != null ? job.plan.promptTokens().length : 0);
    }

    /**
     * What {@code GET /slots} shows of a slot.
     *
     * @param capacity     positions its store holds (0: it has none yet)
     * @param cachedTokens positions computed: the running request's so far, or what an idle slot keeps
     */
    record SlotStatus(int id, boolean busy, int capacity, int cachedTokens, String method, int promptTokens) {
    }
}
