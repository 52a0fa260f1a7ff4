package dev.longlm.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of {@code threads} workers (the calling thread is one of them) that split a range of
 * work items. Workers are started once and wait between jobs, so a decode step creates no tasks
 * and allocates nothing.
 */
public final class Parallel implements AutoCloseable {
    /** Work over the item range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    private record Job(RangeTask task, int items, int chunk) {
    }

    /** How long waiting threads spin before parking: longer than the gap between a decode step's products. */
    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicReference<Job> current = new AtomicReference<>();
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread caller;
    private volatile Throwable failure;
    /** Rounded inputs of the current product; guarded by this pool's monitor. */
    private final QuantizedActivations activations = new QuantizedActivations();

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("longlm-worker-" + (i + 1)).start(this::workerLoop);
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task} over {@code [0, items)} split into chunks across all threads; returns when all are done. */
    public void forRange(int items, RangeTask task) {
        if (items <= 0) {
            return;
        }
        if (threads == 1 || items == 1) {
            task.run(0, items);
            return;
        }
        int chunk = Math.max(1, (items + threads * 4 - 1) / (threads * 4));
        synchronized (this) {
            failure = null;
            nextChunk.set(0);
            pending.set(workers.length);
            current.set(new Job(task, items, chunk));
            caller = Thread.currentThread();
            generation++;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            work(current.get());
            // The last chunks finish within microseconds of each other: spin briefly, then sleep until unparked.
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (pending.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(50_000);
                }
            }
            current.set(null);
            Throwable t = failure;
            if (t instanceof RuntimeException re) {
                throw re;
            } else if (t instanceof Error e) {
                throw e;
            }
        }
    }

    /**
     * Multiplies a matrix by a vector over all rows, split across the pool. Inputs of quantized
     * weights are first rounded as llama.cpp's CPU backend rounds them (see {@link ActivationFormat}).
     */
    public void matvec(WeightMatrix w, float[] x, int xOffset, float[] out, int outOffset) {
        ActivationFormat format = ActivationFormat.forWeights(w.type());
        if (format == ActivationFormat.F32) {
            forRange(w.rows(), (s, e) -> w.matvec(x, xOffset, out, outOffset, s, e));
            return;
        }
        synchronized (this) {
            activations.quantize(format, x, xOffset, 1, w.cols());
            w.prepare(activations);
            QuantizedActivations rounded = activations;
            forRange(w.rows(), (s, e) -> w.matvec(rounded, out, outOffset, s, e));
        }
    }

    public void matvec(WeightMatrix w, float[] x, float[] out) {
        matvec(w, x, 0, out, 0);
    }

    /** Batched matrix product over {@code n} input vectors (see {@link WeightMatrix#matmul}), inputs rounded as in {@link #matvec}. */
    public void matmul(WeightMatrix w, float[] x, int n, float[] out) {
        if (n == 1) {
            matvec(w, x, 0, out, 0);
            return;
        }
        ActivationFormat format = ActivationFormat.forWeights(w.type());
        if (format == ActivationFormat.F32) {
            forRange(w.rows(), (s, e) -> w.matmul(x, n, out, s, e));
            return;
        }
        synchronized (this) {
            activations.quantize(format, x, 0, n, w.cols());
            float[] rounded = activations.values();
            forRange(w.rows(), (s, e) -> w.matmul(rounded, n, out, s, e));
        }
    }

    private void work(Job job) {
        try {
            while (true) {
                int c = nextChunk.getAndIncrement();
                int start = c * job.chunk();
                if (start >= job.items()) {
                    return;
                }
                job.task().run(start, Math.min(job.items(), start + job.chunk()));
            }
        } catch (Throwable t) {
            failure = t;
            nextChunk.set(Integer.MAX_VALUE / 2);
        }
    }

    private void workerLoop() {
        long seen = 0;
        long idleSince = System.nanoTime();
        while (!closed) {
            long g = generation;
            Job job = current.get();
            if (g != seen && job != null) {
                seen = g;
                work(job);
                pending.decrementAndGet();
                idleSince = System.nanoTime();
                Thread c = caller;
                if (c != null) {
                    LockSupport.unpark(c);
                }
            } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                // A decode step issues a product every few tens of microseconds: stay awake for the next one.
                Thread.onSpinWait();
            } else {
                LockSupport.park(this); // forRange unparks every worker after publishing a job
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
