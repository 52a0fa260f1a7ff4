package dev.longlm.attention;

import dev.longlm.InputException;
import dev.longlm.backend.KvShape;
import dev.longlm.backend.KvStore;
import dev.longlm.backend.cpu.CpuBackend;
import dev.longlm.backend.cpu.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static dev.longlm.attention.FusedAttentionRuns.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelfExtendAttentionTest {
    private static final Parallel POOL = new Parallel(2);
    private static final CpuBackend CPU = CpuBackend.on(POOL);
    private static final double BASE = FusedAttentionRuns.BASE;

    @AfterAll
    static void closePool() {
        POOL.close();
    }

    @Test
    void figure3DistancesOfTheLastQuery() {
        // The paper's Figure 3: trained length 7, W = 4, G = 2, 10 tokens.
        SelfExtend se = SelfExtend.of(2, 4);
        int p = 9;
        int[] expected = {6, 6, 5, 5, 4, 4, 3, 2, 1, 0};
        int[] actual = new int[10];
        for (int j = 0; j <= p; j++) {
            actual[j] = p - j < se.window() ? p - j : se.groupedQuery(p) - se.groupedKey(j);
        }
        assertArrayEquals(expected, actual);
        assertEquals(10, se.maxLength(7));
    }

    @Test
    void rejectsInvalidSettingsWithAHint() {
        assertThrows(InputException.class, () -> SelfExtend.of(3, 8));
        assertThrows(InputException.class, () -> SelfExtend.of(0, 8));
        InputException e = assertThrows(InputException.class, () -> SelfExtend.of(4, 64).checkFits(1000, 256));
        assertTrue(e.getMessage().contains("maximum 832"), e.getMessage());
        assertTrue(e.getMessage().contains("--group-size 8 --window 64"), e.getMessage());
    }

    static Stream<Arguments> settings() {
        return Stream.of(
                // heads, kvHeads, headDim, rotaryDims, layout, G, W, n, chunk
                Arguments.of(4, 2, 16, 16, RopeLayout.ADJACENT_PAIRS, 1, 0, 97, 97),
                Arguments.of(4, 2, 16, 16, RopeLayout.ADJACENT_PAIRS, 2, 4, 150, 150),
                Arguments.of(4, 1, 16, 16, RopeLayout.NEOX, 4, 16, 143, 13),
                Arguments.of(2, 2, 32, 32, RopeLayout.NEOX, 8, 32, 201, 64),
                Arguments.of(8, 2, 16, 8, RopeLayout.ADJACENT_PAIRS, 3, 9, 130, 1),
                Arguments.of(6, 3, 8, 8, RopeLayout.NEOX, 16, 64, 211, 70),
                Arguments.of(4, 4, 16, 16, RopeLayout.ADJACENT_PAIRS, 2, 200, 150, 33));
    }

    @ParameterizedTest
    @MethodSource("settings")
    void fusedKernelEqualsNaiveReference(int heads, int kvHeads, int headDim, int rotaryDims, RopeLayout layout,
                                          int g, int w, int n, int chunk) {
        Random rnd = new Random(31L * g + w + n);
        float[] q = random(rnd, n * heads * headDim);
        float[] k = random(rnd, n * kvHeads * headDim);
        float[] v = random(rnd, n * kvHeads * headDim);
        double[] expected = NaiveSelfExtendAttention.attend(q, k, v, n, heads, kvHeads, headDim, rotaryDims, layout, BASE, g, w);
        PositionScheme scheme = g == 1 && w == 0 ? PositionScheme.PLAIN : SelfExtend.of(g, w);
        float[] actual = fused(q, k, v, n, heads, kvHeads, headDim, rotaryDims, layout, scheme, chunk);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 2e-5, "output " + i);
        }
    }

    @Test
    void streamingEqualsTheSinksPlusRecentCacheReference() {
        int heads = 4, kvHeads = 2, headDim = 16, n = 140, sinks = 4, recent = 37;
        Random rnd = new Random(5);
        float[] q = random(rnd, n * heads * headDim);
        float[] k = random(rnd, n * kvHeads * headDim);
        float[] v = random(rnd, n * kvHeads * headDim);
        double[] expected = NaiveSelfExtendAttention.attendStreaming(q, k, v, n, heads, kvHeads, headDim, RopeLayout.NEOX,
                BASE, sinks, recent);
        float[] actual = fused(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.NEOX,
                new StreamingWindow(sinks, recent), 29);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 2e-5, "output " + i);
        }
    }

    @Test
    void groupSizeOneAndWideWindowEqualPlainAttention() {
        int heads = 4, kvHeads = 2, headDim = 16, n = 120;
        Random rnd = new Random(7);
        float[] q = random(rnd, n * heads * headDim);
        float[] k = random(rnd, n * kvHeads * headDim);
        float[] v = random(rnd, n * kvHeads * headDim);
        float[] plain = fused(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.ADJACENT_PAIRS, PositionScheme.PLAIN, n);
        float[] g1 = fused(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.ADJACENT_PAIRS, SelfExtend.of(1, 64), n);
        float[] wideWindow = fused(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.ADJACENT_PAIRS, SelfExtend.of(4, 128), n);
        // G = 1 runs the grouped path (far keys at j/1 against the query at p/1 + W - W, near keys from
        // the ring), which scores every key exactly as plain attention does; only the tiles of the online
        // softmax start elsewhere (at the window's edge), so outputs agree to rounding, not bit for bit.
        assertArrayEquals(plain, g1, 1e-6f);
        assertArrayEquals(plain, wideWindow, 1e-6f);
    }

    @Test
    void chunkedEqualsAllAtOnceAndTokenByToken() {
        int heads = 4, kvHeads = 2, headDim = 16, n = 180;
        Random rnd = new Random(11);
        float[] q = random(rnd, n * heads * headDim);
        float[] k = random(rnd, n * kvHeads * headDim);
        float[] v = random(rnd, n * kvHeads * headDim);
        SelfExtend se = SelfExtend.of(4, 32);
        float[] all = fused(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.NEOX, se, n);
        float[] chunks = fused(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.NEOX, se, 50);
        float[] tokens = fused(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.NEOX, se, 1);
        assertArrayEquals(all, chunks, 1e-6f);
        assertArrayEquals(all, tokens, 1e-6f);
    }

    @Test
    void selfExtendCacheCostsPlainCachePlusTheWindow() {
        int layers = 6, kvHeads = 4, headDim = 16, kvDim = kvHeads * headDim, length = 4096;
        KvStore plain = CPU.kvStore(new KvShape(layers, kvHeads, headDim, length, PositionScheme.PLAIN.ringSlots()));
        KvStore extended = CPU.kvStore(new KvShape(layers, kvHeads, headDim, length, SelfExtend.of(32, 64).ringSlots()));
        KvStore streaming = CPU.kvStore(new KvShape(layers, kvHeads, headDim, length, new StreamingWindow(4, 252).ringSlots()));
        long windowEntries = (long) layers * 64 * kvDim * Float.BYTES;
        assertEquals(plain.allocatedBytes(), streaming.allocatedBytes(), "StreamingLLM keeps no second copy of its recent keys");
        assertEquals(plain.allocatedBytes() + windowEntries, extended.allocatedBytes());
        assertEquals(2L * layers * length * kvDim * Float.BYTES, plain.allocatedBytes());
        assertTrue(extended.allocatedBytes() <= plain.allocatedBytes() + windowEntries,
                extended.allocatedBytes() + " > " + plain.allocatedBytes() + " + " + windowEntries);
    }

    private static float[] fused(float[] q, float[] k, float[] v, int n, int heads, int kvHeads, int headDim,
                                 int rotaryDims, RopeLayout layout, PositionScheme scheme, int chunk) {
        return FusedAttentionRuns.fused(CPU, q, k, v, n, heads, kvHeads, headDim, rotaryDims, layout, scheme, chunk);
    }
}
