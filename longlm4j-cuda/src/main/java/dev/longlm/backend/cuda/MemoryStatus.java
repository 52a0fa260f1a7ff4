package dev.longlm.backend.cuda;

/**
 * A GPU's memory at one moment.
 *
 * @param held bytes that this process's {@link CudaDevice} allocator holds
 */
public record MemoryStatus(long free, long total, long held) {
    /** Bytes in use by anyone: this process, other processes, and the contexts themselves. */
    public long used() {
        return total - free;
    }

    @Override
    public String toString() {
        return Bytes.format(used()) + " used of " + Bytes.format(total) + " (" + Bytes.format(held) + " by longlm), "
                + Bytes.format(free) + " free";
    }
}
