package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NVRTC compiles, the kernel cache, launches with every argument kind, large dynamic shared memory
 * and graph replay, checked against the same computations in Java; run on a GPU
 * ({@link KernelGpuTest}) and on the fake.
 */
abstract class KernelContract {
    static final String KERNELS = "bindings_test_kernels.cu";

    /** Where the tests run (see {@link TestDevice}). */
    abstract TestDevice testDevice();

    CudaDevice device() {
        return testDevice().device();
    }

    /** The test kernels, compiled once per device. */
    CudaModule kernels() {
        return testDevice().kernels();
    }

    static float[] randomFloats(int n, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return values;
    }

    static DeviceMemory upload(CudaDevice gpu, String what, float[] values) {
        DeviceMemory m = gpu.allocate(what, 4L * values.length);
        try (Arena arena = Arena.ofConfined()) {
            gpu.copyToDevice(arena.allocateFrom(JAVA_FLOAT, values), m);
        }
        return m;
    }

    static float[] download(CudaDevice gpu, DeviceMemory m) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(m.bytes());
            gpu.copyToHost(m, host);
            return host.toArray(JAVA_FLOAT);
        }
    }

    @Test
    void launchesWithEveryArgumentKind() {
        CudaDevice gpu = device();
        int n = 1237;
        float a = 1.75f;
        double d = 0.25;
        long l = 3;
        float[] x = randomFloats(n, 1);
        DeviceMemory dx = upload(gpu, "x", x);
        DeviceMemory out = gpu.allocate("out", 4L * n);
        try {
            KernelLauncher probe = kernels().function("args_probe").launcher(gpu.stream());
            probe.args().pointer(out).pointer(dx).f32(a).i32(n).f64(d).i64(l);
            probe.launch((n + 255) / 256, 256, 0);
            float[] y = download(gpu, out);
            for (int i = 0; i < n; i++) {
                float expected = a * x[i] + (float) d + (float) l;
                // NVRTC may fuse a * x + d into one rounding: allow an ulp or two.
                assertEquals(expected, y[i], 4 * Math.ulp(expected), "out[" + i + "]");
            }
        } finally {
            gpu.free(dx);
            gpu.free(out);
        }
    }

    @Test
    void checksArgumentsAgainstTheKernelBeforeLaunching() {
        CudaFunction probe = kernels().function("args_probe");
        assertTrue(probe.parameterSizes().isPresent(), "drivers for CUDA 12.4+ report parameter sizes");
        assertArrayEquals(new int[] {8, 8, 4, 4, 8, 8}, probe.parameterSizes().orElseThrow());
        KernelLauncher launcher = probe.launcher(device().stream(), 8);
        launcher.args().pointer(0).pointer(0).f32(1).i32(0).f64(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> launcher.launch(1, 32, 0));
        assertTrue(e.getMessage().startsWith("kernel args_probe takes 6 parameters"), e.getMessage());
    }

    @Test
    void opensLargeDynamicSharedMemory() {
        CudaDevice gpu = device();
        int n = 16_384 + 17;
        int bytes = 4 * n;
        assertTrue(bytes > 48 * 1024 && bytes <= gpu.info().maxSharedMemoryPerBlockOptin());
        float[] x = randomFloats(n, 2);
        DeviceMemory dx = upload(gpu, "x", x);
        DeviceMemory out = gpu.allocate("sum", 4);
        try {
            CudaFunction sum = kernels().function("shared_sum");
            KernelLauncher launcher = sum.launcher(gpu.stream());
            launcher.args().pointer(out).pointer(dx).i32(n);
            CudaException refused = assertThrows(CudaException.class, () -> launcher.launch(1, 1024, bytes),
                    "more than 48 KiB without opting in");
            assertTrue(refused.getMessage().contains("shared_sum"), refused.getMessage());
            sum.setMaxDynamicSharedMemory(bytes);
            assertEquals(bytes, sum.attribute(CudaDriver.FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES));
            launcher.args().pointer(out).pointer(dx).i32(n);
            launcher.launch(1, 1024, bytes);
            double expected = 0;
            for (float v : x) {
                expected += v;
            }
            assertEquals(expected, download(gpu, out)[0], 1e-3);
        } finally {
            gpu.free(dx);
            gpu.free(out);
        }
    }

    @Test
    void reportsOccupancy() {
        int blocks = kernels().function("add_one").maxActiveBlocksPerMultiprocessor(256, 0);
        assertTrue(blocks >= 1 && blocks <= 64, "blocks per SM " + blocks);
    }

    @Test
    void aCompileErrorCarriesTheCompilerLog() {
        CudaException e = assertThrows(CudaException.class, () -> device().compile("broken.cu",
                "#error broken on purpose\nextern \"C\" __global__ void k() {}\n", List.of()));
        assertEquals("NVRTC_ERROR_COMPILATION", e.errorName());
        assertTrue(e.getMessage().contains("broken on purpose"), e.getMessage());
    }

    @Test
    void theSecondCompileComesFromTheCache() throws Exception {
        KernelCompiler compiler = device().compiler();
        String source = "// cache test\nextern \"C\" __global__ void cached(float* y) { y[0] = 1.0f; }\n";
        CompiledKernel first = compiler.compile("cached.cu", source, List.of("-DCACHE_TEST=1"));
        CompiledKernel second = compiler.compile("cached.cu", source, List.of("-DCACHE_TEST=1"));
        assertFalse(first.fromCache());
        assertTrue(second.fromCache());
        assertArrayEquals(first.image(), second.image());
        assertEquals(first.cacheKey(), second.cacheKey());
        assertFalse(compiler.compile("cached.cu", source, List.of("-DCACHE_TEST=2")).fromCache());
        CudaModule loaded = device().loadModule("cached.cu", second.image());
        assertEquals("cached", loaded.function("cached").name());
        try (var files = Files.list(testDevice().cacheFolder())) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("cached.cu-sm_")));
        }
    }

    @Test
    void replaysACapturedGraph() {
        CudaDevice gpu = device();
        int n = 1000;
        DeviceMemory y = gpu.allocate("y", 4L * n);
        DeviceMemory z = gpu.allocate("z", 4L * n);
        try {
            gpu.stream().fillWords(y, 0);
            KernelLauncher addOne = kernels().function("add_one").launcher(gpu.stream());
            CudaGraph graph = gpu.stream().capture(() -> {
                for (int i = 0; i < 2; i++) {
                    addOne.args().pointer(y).i32(n);
                    addOne.launch((n + 127) / 128, 128, 0);
                }
                gpu.stream().copy(y, z);
            });
            try (graph) {
                float[] beforeReplay = download(gpu, y);
                assertEquals(0f, beforeReplay[0], "capturing runs nothing");
                for (int replay = 0; replay < 3; replay++) {
                    graph.launch();
                }
                gpu.synchronize();
                float[] expected = new float[n];
                Arrays.fill(expected, 6f);
                assertArrayEquals(expected, download(gpu, y));
                assertArrayEquals(expected, download(gpu, z));
            }
        } finally {
            gpu.free(y);
            gpu.free(z);
        }
    }

    /**
     * What {@link StepGraphs} relies on: the node a captured launch became ({@code cuStreamGetCaptureInfo}) can be
     * given new arguments and a new grid in the instantiated graph ({@code cuGraphExecKernelNodeSetParams}), which
     * the next launch uses; the other node keeps its own. Arguments are copied at the update, so the launcher
     * is reused at once.
     */
    @Test
    void updatesAKernelNodeOfAnInstantiatedGraph() {
        CudaDevice gpu = device();
        int n = 1000;
        DeviceMemory y = gpu.allocate("y", 4L * n);
        DeviceMemory z = gpu.allocate("z", 4L * n);
        try {
            gpu.stream().fillWords(y, 0);
            gpu.stream().fillWords(z, 0);
            KernelLauncher addOne = kernels().function("add_one").launcher(gpu.stream());
            CudaDriver driver = gpu.driver();
            long[] nodes = new long[2];
            CudaGraph graph = gpu.stream().capture(() -> {
                for (int i = 0; i < 2; i++) {
                    addOne.args().pointer(y).i32(n);
                    addOne.launch((n + 127) / 128, 128, 0);
                    nodes[i] = driver.lastCapturedNode(gpu.stream().handle());
                }
            });
            try (graph) {
                assertTrue(nodes[0] != 0 && nodes[1] != 0 && nodes[0] != nodes[1], "two distinct nodes: " + Arrays.toString(nodes));
                graph.launch(); // y += 2
                // The second node now adds one to the first half of z only.
                addOne.args().pointer(z).i32(n / 2);
                driver.setKernelNodeParams(graph.handle(), nodes[1], addOne.function().handle(), (n / 2 + 63) / 64, 1, 1, 64, 1,
                        1, 0, addOne.args().pointerArray());
                addOne.args().pointer(y).i32(0); // overwrites the launcher's values: the node must have copied them
                graph.launch(); // y += 1, z[0, n/2) += 1
                graph.launch();
                gpu.synchronize();
                float[] expectedY = new float[n];
                Arrays.fill(expectedY, 4f);
                float[] expectedZ = new float[n];
                Arrays.fill(expectedZ, 0, n / 2, 2f);
                assertArrayEquals(expectedY, download(gpu, y));
                assertArrayEquals(expectedZ, download(gpu, z));
            }
        } finally {
            gpu.free(y);
            gpu.free(z);
        }
    }

    /** Synchronizing a capturing stream is refused by the driver, and the capture cannot be ended into a graph. */
    @Test
    void synchronizingACapturingStreamFails() {
        CudaDevice gpu = device();
        CudaException thrown = assertThrows(CudaException.class, () -> gpu.stream().capture(() -> gpu.stream().synchronize()));
        assertEquals("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", thrown.errorName());
        assertEquals(1, thrown.getSuppressed().length, "ending the invalidated capture fails too");
        gpu.synchronize();
        gpu.stream().capture(() -> { }).close(); // the stream captures again afterwards
    }

    @Test
    void aFailedCaptureIsDiscarded() {
        CudaDevice gpu = device();
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> gpu.stream().capture(() -> {
                    throw new IllegalStateException("work failed");
                }));
        assertEquals("work failed", thrown.getMessage());
        gpu.synchronize();
    }
}
