package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link StepGraphs} on the fake CUDA with the bindings' test kernels: a step of the same shape runs as it is,
 * is captured, then is replayed with its changed arguments updated; steps that do something else fall back
 * to running as they are. Each result is the sum the steps' launches make, computed here; the fake's counters
 * show which way the steps ran. Cheap (no emulated model), so it runs in every build.
 */
class StepGraphsFakeDriverTest {
    @RegisterExtension
    static final TestDevice DEVICE = TestDevice.fake();

    private static final int N = 256;

    /** Captures ended and graph launches since {@code before}, and node updates. */
    private record Counts(long captures, long launches, long updates) {
        static Counts since(long[] before) {
            long[] now = FakeCuda.graphCounts();
            return new Counts(now[0] - before[0], now[1] - before[1], now[3] - before[3]);
        }
    }

    /** A zeroed vector {@code y} of {@link #N} floats, step graphs on or off, and the kernel adding one. */
    private record Fixture(CudaDevice gpu, DeviceMemory y, StepGraphs graphs, KernelLauncher addOne) implements AutoCloseable {
        static Fixture open(boolean stepGraphs) {
            CudaDevice gpu = DEVICE.device();
            DeviceMemory y = gpu.allocate("y", 4L * N);
            gpu.stream().fillWords(y, 0);
            return new Fixture(gpu, y, new StepGraphs(gpu, stepGraphs),
                    DEVICE.kernels().function("add_one").launcher(gpu.stream()));
        }

        /** {@code into[i] += 1} for {@code i < n}, through the step graphs. */
        void addOne(DeviceMemory into, int n) {
            addOne.args().pointer(into).i32(n);
            graphs.launch(addOne, (N + 127) / 128, 1, 1, 128, 1, 1, 0);
        }

        /** What {@code y} holds once the queued work is done. */
        float[] values() {
            gpu.synchronize();
            return download(gpu, y);
        }

        @Override
        public void close() {
            graphs.close();
            gpu.free(y);
        }
    }

    private static float[] download(CudaDevice gpu, DeviceMemory m) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(m.bytes());
            gpu.copyToHost(m, host);
            return host.toArray(JAVA_FLOAT);
        }
    }

    /** How many of the steps' lengths exceed each index: what adding one below each length makes. */
    private static float[] counted(int... lengths) {
        float[] expected = new float[N];
        for (int n : lengths) {
            for (int i = 0; i < n; i++) {
                expected[i]++;
            }
        }
        return expected;
    }

    @Test
    void theThirdStepOfAShapeReplaysTheGraphWithItsNewArguments() {
        try (Fixture f = Fixture.open(true)) {
            int[] lengths = {256, 200, 128, 64, 64, 32};
            long[] before = FakeCuda.graphCounts();
            for (int n : lengths) {
                f.graphs().run("step", () -> {
                    f.addOne(f.y(), n);
                    f.addOne(f.y(), N); // the same arguments every time: never updated
                });
            }
            float[] expected = counted(lengths);
            for (int i = 0; i < N; i++) {
                expected[i] += lengths.length;
            }
            assertArrayEquals(expected, f.values());
            // Warm-up, capture (launched once), then four replays; the first launch's node updated where its length changed.
            assertEquals(new Counts(1, 5, 3), Counts.since(before));
        }
    }

    @Test
    void aStepThatLaunchesSomethingElseRunsAsItIsAndIsCapturedAgain() {
        try (Fixture f = Fixture.open(true)) {
            DeviceMemory z = f.gpu().allocate("z", 4L * N);
            try {
                f.gpu().stream().fillWords(z, 0);
                long[] before = FakeCuda.graphCounts();
                for (int step = 0; step < 6; step++) {
                    boolean twice = step == 3; // one step launches once more than the captured one
                    f.graphs().run("step", () -> {
                        f.addOne(f.y(), N);
                        if (twice) {
                            f.addOne(z, N);
                        }
                    });
                }
                assertArrayEquals(counted(N, N, N, N, N, N), f.values());
                assertArrayEquals(counted(N), download(f.gpu(), z));
                // Steps 0-1 warm up and capture, 2 replays, 3 mismatches (runs as it is, graph dropped), 4-5 warm up and capture.
                assertEquals(new Counts(2, 3, 0), Counts.since(before));
            } finally {
                f.gpu().free(z);
            }
        }
    }

    /**
     * A copy from pinned memory is a node that is not updated: a step whose copy reads another buffer than the
     * captured one (a staging buffer reallocated when it grew) must not replay the graph, which would copy the
     * old buffer.
     */
    @Test
    void aCopyFromAnotherBufferThanTheCapturedOneIsCapturedAgain() {
        try (Fixture f = Fixture.open(true);
             PinnedHostBuffer first = f.gpu().allocatePinned(4L * N);
             PinnedHostBuffer second = f.gpu().allocatePinned(4L * N)) {
            float[] got = new float[5];
            for (int step = 0; step < got.length; step++) {
                PinnedHostBuffer staging = step < 3 ? first : second;
                staging.segment().fill((byte) 0);
                staging.segment().setAtIndex(JAVA_FLOAT, 0, step + 1);
                f.graphs().run("step", () -> f.graphs().other(() -> f.gpu().stream().copyToDevice(staging.segment(), f.y()),
                        staging.segment().address(), f.y().address(), staging.bytes()));
                got[step] = f.values()[0];
            }
            assertArrayEquals(new float[]{1, 2, 3, 4, 5}, got);
        }
    }

    /** Synchronizing inside a step fails its capture (the driver's rule); the step then always runs as it is. */
    @Test
    void aStepThatCannotBeCapturedRunsAsItIs() {
        try (Fixture f = Fixture.open(true)) {
            long[] before = FakeCuda.graphCounts();
            for (int step = 0; step < 4; step++) {
                f.graphs().run("step", () -> {
                    f.addOne(f.y(), N);
                    f.gpu().stream().synchronize();
                });
            }
            assertArrayEquals(counted(N, N, N, N), f.values());
            assertEquals(new Counts(0, 0, 0), Counts.since(before));
        }
    }

    @Test
    void offRunsEveryStepAsItIs() {
        try (Fixture f = Fixture.open(false)) {
            long[] before = FakeCuda.graphCounts();
            int[] lengths = {256, 100, 50};
            for (int n : lengths) {
                f.graphs().run("step", () -> f.addOne(f.y(), n));
            }
            assertArrayEquals(counted(lengths), f.values());
            assertEquals(new Counts(0, 0, 0), Counts.since(before));
        }
    }
}
