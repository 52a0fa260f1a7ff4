package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Context, device info, memory, copies and events; run on a GPU ({@link DeviceGpuTest}) and on the fake. */
abstract class DeviceContract {
    /** Where the tests run (see {@link TestDevice}). */
    abstract TestDevice testDevice();

    CudaDevice device() {
        return testDevice().device();
    }

    @Test
    void describesTheGpu() {
        DeviceInfo info = device().info();
        assertFalse(info.name().isBlank());
        assertTrue(info.computeCapability().code() >= 75, info.computeCapability().toString());
        assertTrue(info.multiprocessors() > 0);
        assertTrue(info.maxSharedMemoryPerBlockOptin() >= 48 * 1024);
        assertTrue(info.driverVersion() >= 12000, "driver " + info.driverVersion());
        MemoryStatus memory = device().memory();
        assertTrue(memory.free() > 0 && memory.free() <= memory.total(), memory.toString());
        // cuMemGetInfo's total is what the context can use: at most the device's, and nearly all of it.
        assertTrue(memory.total() <= info.totalMemory() && memory.total() > info.totalMemory() * 0.9, memory.toString());
        List<String> lines = info.describe(memory);
        assertTrue(lines.getFirst().startsWith("GPU 0: " + info.name() + ", compute "), lines.getFirst());
        assertEquals(6, lines.size());
    }

    @Test
    void copiesRoundTripThroughTheDevice() {
        int n = 1_000_003;
        CudaDevice gpu = device();
        long heldBefore = gpu.memory().held();
        DeviceMemory a = gpu.allocate("a", n);
        DeviceMemory b = gpu.allocate("b", n);
        assertEquals(heldBefore + 2L * n, gpu.memory().held());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(n);
            for (int i = 0; i < n; i++) {
                host.set(JAVA_BYTE, i, (byte) (i * 31 + 7));
            }
            gpu.copyToDevice(host, a);
            gpu.stream().copy(a, b);
            MemorySegment back = arena.allocate(n);
            gpu.copyToHost(b, back);
            assertArrayEquals(host.toArray(JAVA_BYTE), back.toArray(JAVA_BYTE));

            // A slice copies part of an allocation in place.
            MemorySegment part = arena.allocate(100);
            gpu.copyToHost(b.slice(1000, 100), part);
            assertArrayEquals(host.asSlice(1000, 100).toArray(JAVA_BYTE), part.toArray(JAVA_BYTE));
        } finally {
            gpu.free(a);
            gpu.free(b);
        }
        assertEquals(heldBefore, gpu.memory().held());
    }

    @Test
    void fillsBytesAndWords() {
        CudaDevice gpu = device();
        DeviceMemory m = gpu.allocate("fill", 4 * 257);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment back = arena.allocate(4 * 257);
            gpu.stream().fill(m, (byte) 0x5a);
            gpu.copyToHost(m, back);
            for (int i = 0; i < 4 * 257; i++) {
                assertEquals((byte) 0x5a, back.get(JAVA_BYTE, i));
            }
            gpu.stream().fillWords(m.slice(4, 4 * 255), Float.floatToRawIntBits(-2.5f));
            gpu.copyToHost(m, back);
            assertEquals(0x5a5a5a5a, back.getAtIndex(JAVA_INT, 0));
            for (int i = 1; i < 256; i++) {
                assertEquals(-2.5f, back.getAtIndex(JAVA_FLOAT, i));
            }
            assertEquals(0x5a5a5a5a, back.getAtIndex(JAVA_INT, 256));
            assertThrows(IllegalArgumentException.class, () -> gpu.stream().fillWords(m.slice(0, 6), 0));
        } finally {
            gpu.free(m);
        }
    }

    @Test
    void pinnedBuffersCopyAsynchronously() {
        CudaDevice gpu = device();
        int floats = 4099;
        DeviceMemory m = gpu.allocate("pinned round trip", 4L * floats);
        try (PinnedHostBuffer up = gpu.allocatePinned(4L * floats); PinnedHostBuffer down = gpu.allocatePinned(4L * floats)) {
            for (int i = 0; i < floats; i++) {
                up.segment().setAtIndex(JAVA_FLOAT, i, i * 0.5f);
            }
            gpu.stream().copyToDevice(up.segment(), m);
            gpu.stream().copyToHost(m, down.segment());
            gpu.synchronize();
            assertArrayEquals(up.segment().toArray(JAVA_FLOAT), down.segment().toArray(JAVA_FLOAT));
            up.close();
            assertThrows(IllegalStateException.class, () -> up.segment().get(JAVA_FLOAT, 0),
                    "a closed pinned buffer's memory is inaccessible");
        } finally {
            gpu.free(m);
        }
    }

    @Test
    void refusesWhatDoesNotFitBeforeAllocating() {
        CudaDevice gpu = device();
        long held = gpu.memory().held();
        long total = gpu.info().totalMemory();
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class,
                () -> gpu.allocate("KV cache", total + 1));
        assertTrue(e.getMessage().startsWith("not enough GPU memory: KV cache "), e.getMessage());
        assertTrue(e.getMessage().contains(gpu.info().name() + " has "), e.getMessage());
        assertEquals(held, gpu.memory().held());
        assertThrows(CudaOutOfMemoryException.class, () -> gpu.ensureFits(List.of(
                new MemoryRequest("weights", total / 2 + 1), new MemoryRequest("KV cache", total / 2 + 1))));
    }

    @Test
    void refusesHeapMemoryAndOversizedCopies() {
        CudaDevice gpu = device();
        DeviceMemory m = gpu.allocate("small", 16);
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                    () -> gpu.copyToDevice(MemorySegment.ofArray(new float[4]), m));
            assertTrue(heap.getMessage().contains("must be native"), heap.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> gpu.copyToDevice(arena.allocate(17), m));
            assertThrows(IllegalArgumentException.class, () -> gpu.free(m.slice(8, 8)));
        } finally {
            gpu.free(m);
        }
    }

    @Test
    void eventsOrderAndTimeWork() {
        CudaDevice gpu = device();
        DeviceMemory m = gpu.allocate("timed", 64L << 20);
        try (CudaEvent start = gpu.createEvent(true); CudaEvent end = gpu.createEvent(true);
             CudaEvent marker = gpu.createEvent(false)) {
            start.record(gpu.stream());
            gpu.stream().fill(m, (byte) 1);
            end.record(gpu.stream());
            marker.record(gpu.stream());
            end.synchronize();
            assertTrue(end.isDone());
            float ms = end.millisSince(start);
            assertTrue(ms >= 0 && Float.isFinite(ms), "elapsed " + ms);
            CudaException untimed = assertThrows(CudaException.class, () -> marker.millisSince(start));
            assertEquals("CUDA_ERROR_INVALID_HANDLE", untimed.errorName());
            try (CudaStream other = gpu.createStream()) {
                other.waitFor(end);
                other.synchronize();
            }
        } finally {
            gpu.free(m);
        }
    }
}
