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

    /** {@code y[i] += 1} for {@code i < n}, through {@code graphs}. */
    private static void addOne(StepGraphs graphs, KernelLauncher k, DeviceMemory y, int n) {
        k.args().pointer(y).i32(n);
        graphs.launch(k, (N + 127) / 128, 1, 1, 128, 1, 1, 0);
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
        CudaDevice gpu = DEVICE.device();
        DeviceMemory y = gpu.allocate("y", 4L * N);
        StepGraphs graphs = new StepGraphs(gpu, true);
        try {
            gpu.stream().fillWords(y, 0);
            KernelLauncher k = DEVICE.kernels().function("add_one").launcher(gpu.stream());
            int[] lengths = {256, 200, 128, 64, 64, 32};
            long[] before = FakeCuda.graphCounts();
            for (int n : lengths) {
                graphs.run("step", () -> {
                    addOne(graphs, k, y, n);
                    addOne(graphs, k, y, N); // the same arguments every time: never updated
                });
            }
            gpu.synchronize();
            float[] expected = counted(lengths);
            for (int i = 0; i < N; i++) {
                expected[i] += lengths.length;
            }
            assertArrayEquals(expected, download(gpu, y));
            // Warm-up, capture (launched once), then four replays; the first launch's node updated where its length changed.
            assertEquals(new Counts(1, 5, 3), Counts.since(before));
        } finally {
            graphs.close();
            gpu.free(y);
        }
    }

    @Test
    void aStepThatLaunchesSomethingElseRunsAsItIsAndIsCapturedAgain() {
        CudaDevice gpu = DEVICE.device();
        DeviceMemory y = gpu.allocate("y", 4L * N);
        DeviceMemory z = gpu.allocate("z", 4L * N);
        StepGraphs graphs = new StepGraphs(gpu, true);
        try {
            gpu.stream().fillWords(y, 0);
            gpu.stream().fillWords(z, 0);
            KernelLauncher k = DEVICE.kernels().function("add_one").launcher(gpu.stream());
            long[] before = FakeCuda.graphCounts();
            for (int step = 0; step < 6; step++) {
                boolean twice = step == 3; // one step launches once more than the captured one
                graphs.run("step", () -> {
                    addOne(graphs, k, y, N);
                    if (twice) {
                        addOne(graphs, k, z, N);
                    }
                });
            }
            gpu.synchronize();
            assertArrayEquals(counted(N, N, N, N, N, N), download(gpu, y));
            assertArrayEquals(counted(N), download(gpu, z));
            // Steps 0-1 warm up and capture, 2 replays, 3 mismatches (runs as it is, graph dropped), 4-5 warm up and capture.
            assertEquals(new Counts(2, 3, 0), Counts.since(before));
        } finally {
            graphs.close();
            gpu.free(y);
            gpu.free(z);
        }
    }

    /**
     * A copy from pinned memory is a node that is not updated: a step whose copy reads another buffer than the
     * captured one (a staging buffer reallocated when it grew) must not replay the graph, which would copy the
     * old buffer.
     */
    @Test
    void aCopyFromAnotherBufferThanTheCapturedOneIsCapturedAgain() {
        CudaDevice gpu = DEVICE.device();
        DeviceMemory y = gpu.allocate("y", 4L * N);
        PinnedHostBuffer first = gpu.allocatePinned(4L * N);
        PinnedHostBuffer second = gpu.allocatePinned(4L * N);
        StepGraphs graphs = new StepGraphs(gpu, true);
        try {
            float[] got = new float[5];
            for (int step = 0; step < got.length; step++) {
                PinnedHostBuffer staging = step < 3 ? first : second;
                staging.segment().fill((byte) 0);
                staging.segment().setAtIndex(JAVA_FLOAT, 0, step + 1);
                graphs.run("step", () -> graphs.other(() -> gpu.stream().copyToDevice(staging.segment(), y),
                        staging.segment().address(), y.address(), staging.bytes()));
                got[step] = download(gpu, y)[0];
            }
            assertArrayEquals(new float[]{1, 2, 3, 4, 5}, got);
        } finally {
            graphs.close();
            first.close();
            second.close();
            gpu.free(y);
        }
    }

    /** Synchronizing inside a step fails its capture (the driver's rule); the step then always runs as it is. */
    @Test
    void aStepThatCannotBeCapturedRunsAsItIs() {
        CudaDevice gpu = DEVICE.device();
        DeviceMemory y = gpu.allocate("y", 4L * N);
        StepGraphs graphs = new StepGraphs(gpu, true);
        try {
            gpu.stream().fillWords(y, 0);
            KernelLauncher k = DEVICE.kernels().function("add_one").launcher(gpu.stream());
            long[] before = FakeCuda.graphCounts();
            for (int step = 0; step < 4; step++) {
                graphs.run("step", () -> {
                    addOne(graphs, k, y, N);
                    gpu.stream().synchronize();
                });
            }
            gpu.synchronize();
            assertArrayEquals(counted(N, N, N, N), download(gpu, y));
            assertEquals(new Counts(0, 0, 0), Counts.since(before));
        } finally {
            graphs.close();
            gpu.free(y);
        }
    }

    @Test
    void offRunsEveryStepAsItIs() {
        CudaDevice gpu = DEVICE.device();
        DeviceMemory y = gpu.allocate("y", 4L * N);
        StepGraphs graphs = new StepGraphs(gpu, false);
        try {
            gpu.stream().fillWords(y, 0);
            KernelLauncher k = DEVICE.kernels().function("add_one").launcher(gpu.stream());
            long[] before = FakeCuda.graphCounts();
            int[] lengths = {256, 100, 50};
            for (int n : lengths) {
                graphs.run("step", () -> addOne(graphs, k, y, n));
            }
            gpu.synchronize();
            assertArrayEquals(counted(lengths), download(gpu, y));
            assertEquals(new Counts(0, 0, 0), Counts.since(before));
        } finally {
            graphs.close();
            gpu.free(y);
        }
    }
}
