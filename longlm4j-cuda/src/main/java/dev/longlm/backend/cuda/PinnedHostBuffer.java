package dev.longlm.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Page-locked host memory ({@code cuMemHostAlloc}): copies between it and the GPU run at full bus
 * speed and truly asynchronously, so per-step transfers (logits, token ids) go through one. Its
 * segment becomes inaccessible once closed, so a stale reference fails instead of touching freed
 * memory. Readable from any thread.
 */
public final class PinnedHostBuffer implements AutoCloseable {
    private final Arena arena;
    private final MemorySegment segment;

    PinnedHostBuffer(CudaDriver driver, long bytes) {
        MemorySegment raw = driver.allocateHost(bytes);
        this.arena = Arena.ofShared();
        this.segment = raw.reinterpret(bytes, arena, driver::freeHost);
    }

    public MemorySegment segment() {
        return segment;
    }

    public long bytes() {
        return segment.byteSize();
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
