package dev.longlm.server;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Admission and interleaving. At most {@code parallel} requests hold a slot (a KV cache each); up to
 * {@code queueCapacity} more wait in arrival order; beyond that {@link #acquire()} refuses at once.
 * Slots' forward passes take turns through one fair lock, so active requests advance token by token
 * in round-robin on the shared thread pool (an interleaving scheduler, not a batched forward pass).
 */
public final class SlotScheduler {
    private final int parallel;
    private final int queueCapacity;
    private final Semaphore slots;
    private final AtomicInteger waiting = new AtomicInteger();
    private final ReentrantLock forwardTurn = new ReentrantLock(true);

    public SlotScheduler(int parallel, int queueCapacity) {
        this.parallel = parallel;
        this.queueCapacity = queueCapacity;
        this.slots = new Semaphore(parallel, true);
    }

    /** A held slot; closing it frees the slot (idempotent). */
    public final class Slot implements AutoCloseable {
        private boolean released;

        @Override
        public void close() {
            if (!released) {
                released = true;
                slots.release();
            }
        }
    }

    /** Waits for a slot; throws 503 when the queue is full. */
    public Slot acquire() throws InterruptedException {
        if (slots.tryAcquire()) {
            return new Slot();
        }
        if (waiting.incrementAndGet() > queueCapacity) {
            waiting.decrementAndGet();
            throw new ApiException(503, "server_error", "server_busy",
                    "all " + parallel + " slots are busy and " + queueCapacity + " requests are waiting; retry shortly");
        }
        try {
            slots.acquire();
            return new Slot();
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Runs one forward pass in this slot's turn. */
    public float[] forward(Supplier<float[]> pass) {
        forwardTurn.lock();
        try {
            return pass.get();
        } finally {
            forwardTurn.unlock();
        }
    }

    public int busySlots() {
        return parallel - slots.availablePermits();
    }

    public int waitingRequests() {
        return waiting.get();
    }

    public int parallel() {
        return parallel;
    }
}
