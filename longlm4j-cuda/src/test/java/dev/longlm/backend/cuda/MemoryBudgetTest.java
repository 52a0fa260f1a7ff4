package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MemoryBudgetTest {
    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;

    @Test
    void countsWholeTwoMebibytePages() {
        assertEquals(0, MemoryBudget.pages(0));
        assertEquals(2 * MIB, MemoryBudget.pages(1));
        assertEquals(2 * MIB, MemoryBudget.pages(2 * MIB));
        assertEquals(4 * MIB, MemoryBudget.pages(2 * MIB + 1));
    }

    @Test
    void fitsExactlyToTheLastPage() {
        assertDoesNotThrow(() -> MemoryBudget.check(List.of(new MemoryRequest("a", 3 * MIB), new MemoryRequest("b", MIB)),
                6 * MIB, 8 * MIB, 0, "GPU"));
        assertThrows(CudaOutOfMemoryException.class, () -> MemoryBudget.check(
                List.of(new MemoryRequest("a", 3 * MIB), new MemoryRequest("b", 2 * MIB + 1)), 6 * MIB, 8 * MIB, 0, "GPU"));
    }

    @Test
    void saysWhatNeedsHowMuchAndWhatTheGpuHas() {
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> MemoryBudget.check(
                List.of(new MemoryRequest("model weights", 15 * GIB), new MemoryRequest("KV cache", 4 * GIB + GIB / 2)),
                10 * GIB, 140 * GIB, 120 * GIB, "NVIDIA H200"));
        assertEquals("not enough GPU memory: model weights 15.00 GiB + KV cache 4.50 GiB = 19.50 GiB needed, but "
                + "NVIDIA H200 has 10.00 GiB free of 140.00 GiB (longlm already holds 120.00 GiB); ask for less (a "
                + "shorter context, a smaller or more quantized model) or free GPU memory that other processes use "
                + "(nvidia-smi lists them)", e.getMessage());
    }

    @Test
    void oneRequestHasNoSum() {
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> MemoryBudget.check(
                List.of(new MemoryRequest("KV cache", 3 * GIB)), GIB, 80 * GIB, 0, "A100"));
        assertEquals("not enough GPU memory: KV cache 3.00 GiB needed, but A100 has 1.00 GiB free of 80.00 GiB; ask for "
                + "less (a shorter context, a smaller or more quantized model) or free GPU memory that other processes "
                + "use (nvidia-smi lists them)", e.getMessage());
    }

    @Test
    void formatsBytes() {
        assertEquals("1023 B", Bytes.format(1023));
        assertEquals("1.50 KiB", Bytes.format(1536));
        assertEquals("139.80 GiB", Bytes.format(150_111_977_472L));
        assertEquals("2.00 TiB", Bytes.format(2L << 40));
    }
}
