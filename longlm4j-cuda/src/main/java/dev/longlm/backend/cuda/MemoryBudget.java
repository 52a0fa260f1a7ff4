package dev.longlm.backend.cuda;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Decides, before anything is allocated, whether requests fit in a GPU's free memory, and says
 * in one line what does not. The driver hands out device memory in 2 MiB pages, so each request
 * is counted rounded up to a page.
 */
final class MemoryBudget {
    static final long PAGE = 2L << 20;

    private MemoryBudget() {
    }

    /** Bytes the driver takes for an allocation of {@code bytes}. */
    static long pages(long bytes) {
        return (bytes + PAGE - 1) / PAGE * PAGE;
    }

    /**
     * @param free     the GPU's free bytes now
     * @param total    the GPU's total bytes
     * @param held     bytes this process's allocator already holds (part of {@code total - free})
     * @throws CudaOutOfMemoryException when the pages of all requests exceed {@code free}
     */
    static void check(List<MemoryRequest> requests, long free, long total, long held, String deviceName) {
        long needed = requests.stream().mapToLong(r -> pages(r.bytes())).sum();
        if (needed <= free) {
            return;
        }
        String parts = requests.stream().map(r -> r.what() + " " + Bytes.format(r.bytes()))
                .collect(Collectors.joining(" + "));
        String sum = requests.size() > 1 ? " = " + Bytes.format(needed) : "";
        String heldNote = held > 0 ? " (longlm already holds " + Bytes.format(held) + ")" : "";
        throw new CudaOutOfMemoryException("not enough GPU memory: " + parts + sum + " needed, but " + deviceName
                + " has " + Bytes.format(free) + " free of " + Bytes.format(total) + heldNote
                + "; ask for less (a shorter context, a smaller or more quantized model) or free GPU memory"
                + " that other processes use (nvidia-smi lists them)");
    }
}
