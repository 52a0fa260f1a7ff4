package dev.longlm.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Admission. At most {@code parallel} jobs hold a slot (a KV cache each); up to {@code queueCapacity}
 * more wait in arrival order; beyond that {@link #submit} refuses at once with 503. Jobs given a slot
 * are handed to the {@link DecodeLoop}, which advances them all together and {@link #releaseSlot releases} a slot
 * as soon as its job finishes or is cancelled, promoting the oldest waiting job into it.
 */
public final class SlotScheduler {
    private final int parallel;
    private final int queueCapacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition admittedOrClosed = lock.newCondition();
    private final ArrayDeque<GenerationJob> waiting = new ArrayDeque<>();
    /** Jobs holding a slot that the decode loop has not picked up yet. */
    private final List<GenerationJob> admitted = new ArrayList<>();
    /** Work for the decode loop's thread that is not a request (saving and restoring slots). */
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private int busy;
    private boolean closed;
    /** Shutting down: running and waiting jobs go on, new ones are refused. */
    private boolean refusing;

    public SlotScheduler(int parallel, int queueCapacity) {
        this.parallel = parallel;
        this.queueCapacity = queueCapacity;
    }

    /** Gives the job a slot or a place in the queue; throws 503 when the queue is full. */
    void submit(GenerationJob job) {
        lock.lock();
        try {
            if (closed || refusing) {
                throw new ApiException(503, "server_error", "shutting_down", "the server is shutting down; retry on another instance");
            }
            if (busy < parallel) {
                busy++;
                admitted.add(job);
                admittedOrClosed.signalAll();
            } else if (waiting.size() < queueCapacity) {
                waiting.add(job);
            } else {
                throw new ApiException(503, "server_error", "server_busy",
                        "all " + parallel + " slots are busy and " + queueCapacity + " requests are waiting; retry shortly");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The jobs given a slot since the last call. With {@code wait}, blocks until there is one (the
     * loop has nothing else to do); returns an empty list once closed.
     */
    List<GenerationJob> takeAdmitted(boolean wait) throws InterruptedException {
        lock.lock();
        try {
            while (wait && admitted.isEmpty() && tasks.isEmpty() && !closed) {
                admittedOrClosed.await();
            }
            List<GenerationJob> taken = List.copyOf(admitted);
            admitted.clear();
            return taken;
        } finally {
            lock.unlock();
        }
    }

    /** Queues work for the decode loop's thread (which alone may touch the backend and the slots' stores). */
    void submitTask(Runnable task) {
        lock.lock();
        try {
            if (closed) {
                throw new ApiException(503, "server_error", "shutting_down", "the server is shutting down");
            }
            tasks.add(task);
            admittedOrClosed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The tasks queued since the last call. */
    List<Runnable> takeTasks() {
        lock.lock();
        try {
            List<Runnable> taken = List.copyOf(tasks);
            tasks.clear();
            return taken;
        } finally {
            lock.unlock();
        }
    }

    /** Frees the slot of a job the loop has picked up; the oldest waiting job takes it. */
    void releaseSlot() {
        lock.lock();
        try {
            freeSlot();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Cancels a job: a waiting one leaves the queue, an admitted one not yet picked up frees its slot
     * here, a running one is dropped (and its slot freed) by the loop at its next iteration.
     */
    void cancel(GenerationJob job) {
        job.cancel();
        lock.lock();
        try {
            if (!waiting.remove(job) && admitted.remove(job)) {
                freeSlot();
            }
        } finally {
            lock.unlock();
        }
    }

    private void freeSlot() {
        GenerationJob next = waiting.poll();
        if (next != null) {
            admitted.add(next);
            admittedOrClosed.signalAll();
        } else {
            busy--;
        }
    }

    boolean closed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new jobs from now on; those admitted or waiting go on. */
    void stopAdmitting() {
        lock.lock();
        try {
            refusing = true;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new jobs and wakes the loop so it can stop. */
    void close() {
        lock.lock();
        try {
            closed = true;
            admittedOrClosed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public int busySlots() {
        lock.lock();
        try {
            return busy;
        } finally {
            lock.unlock();
        }
    }

    public int waitingRequests() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    public int parallel() {
        return parallel;
    }
}
