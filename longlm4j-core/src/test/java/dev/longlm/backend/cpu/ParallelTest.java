package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/** The pool's split of work and its handling of a task that throws. */
class ParallelTest {
    /** A task's complaint about a range it should never have been given (start < 0, end past the items, or empty). */
    private static final class BadRange extends RuntimeException {
        BadRange(int start, int end) {
            super("range [" + start + ", " + end + ")");
        }
    }

    @Test
    void everyItemRunsExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (Parallel pool = new Parallel(threads)) {
                for (int items : new int[] {1, 2, 7, 40, 1001}) {
                    AtomicIntegerArray runs = new AtomicIntegerArray(items);
                    pool.forRange(items, (start, end) -> {
                        if (start < 0 || end > items || start >= end) {
                            throw new BadRange(start, end);
                        }
                        for (int i = start; i < end; i++) {
                            runs.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < items; i++) {
                        assertEquals(1, runs.get(i), threads + " threads, " + items + " items: item " + i);
                    }
                }
            }
        }
    }

    /**
     * One chunk throws; the caller must get that exception, not one from another thread sent past the
     * end of the items after the failure (chunks of 3 or more made the chunk index times the chunk size
     * overflow into negative starts). Repeated, because whether another thread is mid-job when the
     * task throws varies from run to run.
     */
    @Test
    void callerGetsTheExceptionTheTaskThrew() {
        for (int threads : new int[] {2, 3, 4}) {
            try (Parallel pool = new Parallel(threads)) {
                for (int chunk : new int[] {3, 5, 64}) {
                    int items = threads * 4 * chunk; // the pool makes 4 chunks per thread
                    for (int round = 0; round < 50; round++) {
                        int failingStart = chunk * (round % (threads * 4));
                        IllegalStateException thrown = new IllegalStateException("task failed at " + failingStart);
                        RuntimeException seen = assertThrows(RuntimeException.class, () -> pool.forRange(items, (start, end) -> {
                            if (start < 0 || end > items || start >= end) {
                                throw new BadRange(start, end);
                            }
                            busyWork(start);
                            if (start == failingStart) {
                                throw thrown;
                            }
                        }));
                        assertSame(thrown, seen, threads + " threads, chunk " + chunk + ": " + seen);
                    }
                }
            }
        }
    }

    /** After a failed job the pool runs the next one normally (no stale failure, no skipped chunks). */
    @Test
    void poolRecoversAfterAFailure() {
        try (Parallel pool = new Parallel(3)) {
            assertThrows(ArithmeticException.class, () -> pool.forRange(100, (start, end) -> {
                throw new ArithmeticException("first");
            }));
            AtomicIntegerArray runs = new AtomicIntegerArray(100);
            pool.forRange(100, (start, end) -> {
                for (int i = start; i < end; i++) {
                    runs.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 100; i++) {
                assertEquals(1, runs.get(i), "item " + i);
            }
        }
    }

    /** Errors pass through unwrapped too (an assertion failing inside a task reaches the test). */
    @Test
    void errorsReachTheCaller() {
        try (Parallel pool = new Parallel(2)) {
            AtomicReference<Error> thrown = new AtomicReference<>();
            Error seen = assertThrows(Error.class, () -> pool.forRange(50, (start, end) -> {
                if (start == 0) {
                    Error e = new AssertionError("in a task");
                    thrown.set(e);
                    throw e;
                }
            }));
            assertSame(thrown.get(), seen);
        }
    }

    /**
     * Products give the same bits on any number of threads: each output comes from its own row, by
     * the same operations wherever the row falls in a chunk or a 4-row tile.
     */
    @Test
    void productsAreTheSameBitsForEveryThreadCount() {
        Random rnd = new Random(3);
        for (GgmlType type : WeightMatrices.SUPPORTED) {
            int rows = 50; // chunks of 7, 5 and 4 rows on 2, 3 and 4 threads: 4-row tiles cut at different places
            int cols = type.blockSize() == 1 ? 515 : 512;
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.nextGaussian();
            }
            WeightMatrix m = WeightMatrices.of(type, MemorySegment.ofArray(Quantizer.quantize(type, w)), rows, cols);
            float[] x = new float[5 * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] singleVec = new float[rows];
            float[] singleMat = new float[5 * rows];
            try (Parallel one = new Parallel(1)) {
                one.matvec(m, x, singleVec);
                one.matmul(m, x, 5, singleMat);
            }
            for (int threads : new int[] {2, 3, 4}) {
                float[] vec = new float[rows];
                float[] mat = new float[5 * rows];
                try (Parallel pool = new Parallel(threads)) {
                    pool.matvec(m, x, vec);
                    pool.matmul(m, x, 5, mat);
                }
                assertArrayEquals(singleVec, vec, type + " matvec on " + threads + " threads");
                assertArrayEquals(singleMat, mat, type + " matmul on " + threads + " threads");
            }
        }
    }

    /** Some work, so that other threads are still taking chunks when one chunk throws. */
    private static void busyWork(int seed) {
        double x = seed;
        for (int i = 0; i < 2_000; i++) {
            x = Math.sin(x) + 1;
        }
        if (x == 42) {
            fail("unreachable");
        }
    }
}
