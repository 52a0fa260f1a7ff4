package dev.longlm.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of {@code threads} workers (the calling thread is one of them) that split a range of
 * work items. Workers are started once and wait between jobs, so a job creates no threads or task
 * objects: the job's description lives in this pool's fields and products reuse one task. What a
 * job allocates is the caller's {@link RangeTask} if it makes one per call (a capturing lambda), and
 * whatever the kernels allocate ({@link RowScratch} grows once per thread and then is reused).
 *
 * <p>Items are split into chunks of a size that depends only on the item count and the thread count,
 * and the kernels compute each output from its own row (or item) alone, so which thread takes which
 * chunk never changes a result.
 */
public final class Parallel implements AutoCloseable {
    /** Work over the item range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    /** How long waiting threads spin before parking: longer than the gap between a decode step's products. */
    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    // The current job: written by the caller before it advances generation (a volatile write),
    // read by each worker after it sees the new generation.
    private RangeTask task;
    private int items;
    private int chunk;
    private int chunks;
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread caller;
    /** The first exception a task of the current job threw; later ones are dropped. */
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** Rounded inputs of the current product; guarded by this pool's monitor. */
    private final QuantizedActivations activations = new QuantizedActivations();
    /** The current product's task, reused for every product; guarded by this pool's monitor. */
    private final Product product = new Product();

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

    /**
     * Runs {@code task} over {@code [0, items)} split into chunks across all threads; returns when all
     * are done. If tasks throw, the first exception is rethrown here once every thread has stopped,
     * and the chunks not yet started are skipped.
     */
    public void forRange(int items, RangeTask task) {
        if (items <= 0) {
            return;
        }
        if (threads == 1 || items == 1) {
            task.run(0, items);
            return;
        }
        synchronized (this) {
            this.task = task;
            this.items = items;
            this.chunk = Math.ceilDiv(items, threads * 4);
            this.chunks = Math.ceilDiv(items, chunk);
            failure.set(null);
            nextChunk.set(0);
            pending.set(workers.length);
            caller = Thread.currentThread();
            generation++;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            work();
            // The last chunks finish within microseconds of each other: spin briefly, then sleep until unparked.
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (pending.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(50_000);
                }
            }
            this.task = null;
            Throwable t = failure.getAndSet(null);
            if (t instanceof RuntimeException re) {
                throw re;
            } else if (t instanceof Error e) {
                throw e;
            } else if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }

    /**
     * Multiplies a matrix by a vector over all rows, split across the pool. Inputs of quantized
     * weights are first rounded as llama.cpp's CPU backend rounds them (see {@link ActivationFormat}).
     */
    public synchronized void matvec(WeightMatrix w, float[] x, int xOffset, float[] out, int outOffset) {
        ActivationFormat format = ActivationFormat.forWeights(w.type());
        if (format == ActivationFormat.F32) {
            runProduct(w, x, xOffset, null, 0, out, outOffset);
            return;
        }
        activations.quantize(format, x, xOffset, 1, w.cols());
        w.prepare(activations);
        runProduct(w, null, 0, activations, 0, out, outOffset);
    }

    public void matvec(WeightMatrix w, float[] x, float[] out) {
        matvec(w, x, 0, out, 0);
    }

    /** Batched matrix product over {@code n} input vectors (see {@link WeightMatrix#matmul}), inputs rounded as in {@link #matvec}. */
    public synchronized void matmul(WeightMatrix w, float[] x, int n, float[] out) {
        if (n == 1) {
            matvec(w, x, 0, out, 0);
            return;
        }
        ActivationFormat format = ActivationFormat.forWeights(w.type());
        if (format == ActivationFormat.F32) {
            runProduct(w, x, 0, null, n, out, 0);
            return;
        }
        activations.quantize(format, x, 0, n, w.cols());
        runProduct(w, activations.values(), 0, null, n, out, 0);
    }

    private void runProduct(WeightMatrix w, float[] x, int xOffset, QuantizedActivations rounded, int n, float[] out,
                            int outOffset) {
        product.w = w;
        product.x = x;
        product.xOffset = xOffset;
        product.rounded = rounded;
        product.n = n;
        product.out = out;
        product.outOffset = outOffset;
        try {
            forRange(w.rows(), product);
        } finally {
            product.w = null;
            product.x = null;
            product.rounded = null;
            product.out = null;
        }
    }

    /**
     * One weight product over a row range: a batched {@code matmul} of {@code n} float inputs when
     * {@code n > 0}, else a {@code matvec} of the rounded inputs if there are any, else of {@code x}.
     */
    private static final class Product implements RangeTask {
        private WeightMatrix w;
        private float[] x;
        private int xOffset;
        private QuantizedActivations rounded;
        private int n;
        private float[] out;
        private int outOffset;

        @Override
        public void run(int start, int end) {
            if (n > 0) {
                w.matmul(x, n, out, start, end);
            } else if (rounded != null) {
                w.matvec(rounded, out, outOffset, start, end);
            } else {
                w.matvec(x, xOffset, out, outOffset, start, end);
            }
        }
    }

    /** Takes chunks of the current job until none are left (or a task has failed). */
    private void work() {
        RangeTask job = task;
        int jobItems = items;
        int jobChunk = chunk;
        int jobChunks = chunks;
        try {
            for (int c = nextChunk.getAndIncrement(); c < jobChunks; c = nextChunk.getAndIncrement()) {
                int start = c * jobChunk; // c < chunks = ⌈items / chunk⌉, so start < items: no overflow
                job.run(start, start + Math.min(jobChunk, jobItems - start));
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            nextChunk.set(jobChunks); // the other threads stop at their next chunk
        }
    }

    private void workerLoop() {
        long seen = 0;
        long idleSince = System.nanoTime();
        while (!closed) {
            long g = generation;
            if (g != seen) {
                seen = g;
                work();
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
