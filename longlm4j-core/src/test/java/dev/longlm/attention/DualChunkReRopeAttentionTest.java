package dev.longlm.attention;

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

/**
 * Dual Chunk Attention, ReRoPE and Leaky ReRoPE in the fused kernel against the naive reference fed with
 * position matrices written here from the papers' and authors' formulas, and hand-worked distance
 * matrices (the DCA paper's Figure 2). The position rules are public for the cross-backend attention test.
 */
public class DualChunkReRopeAttentionTest {
    private static final Parallel POOL = new Parallel(2);
    private static final CpuBackend CPU = CpuBackend.on(POOL);
    private static final double BASE = FusedAttentionRuns.BASE;

    @AfterAll
    static void closePool() {
        POOL.close();
    }

    /**
     * DCA as the paper defines it (c = s + w): keys at P_k = j mod s (Eq. 2); the query at P_intra = i mod s
     * for keys of its own chunk (Eq. 2), at P_succ = [s, s+1, …, s+w−1, c−1, …, c−1] (Eq. 7) for keys of the
     * chunk before, at P_inter = c − 1 (Eq. 5) for earlier ones; chunks are ⌊i/s⌋ (the final case analysis of §3).
     */
    public static double[] dcaPaperPositions(int p, int j, int s, int w) {
        int c = s + w;
        int i = p % s;
        double query = switch (p / s - j / s) {
            case 0 -> i;
            case 1 -> i < w ? s + i : c - 1;
            default -> c - 1;
        };
        return new double[]{query, j % s};
    }

    /** ReRoPE as bojone/rerope's patch computes it: true positions when p − j < w, else the query at w and the key unrotated. */
    public static double[] reropePositions(int p, int j, int w) {
        return p - j < w ? new double[]{p, j} : new double[]{w, 0};
    }

    /** Leaky ReRoPE as the patch computes it: beyond w, query and key rotated by RoPE/k at p + w(k − 1) and j. */
    public static double[] leakyPositions(int p, int j, int w, double k) {
        return p - j < w ? new double[]{p, j} : new double[]{(p + w * (k - 1)) / k, j / k};
    }

    /** The reference positions of each scheme this test runs. */
    static NaivePositionMatrixAttention.Positions reference(PositionScheme scheme) {
        return switch (scheme) {
            case DualChunkAttention d -> (p, j) -> dcaPaperPositions(p, j, d.chunkSize(), d.localWindow());
            case ReRope r -> (p, j) -> reropePositions(p, j, r.window());
            case LeakyReRope l -> (p, j) -> leakyPositions(p, j, l.window(), l.leak());
            default -> throw new IllegalArgumentException(scheme.describe());
        };
    }

    /**
     * The relative position the engine's scheme gives (p, j), read the way a kernel reads it: the
     * {@link KeyRanges} pick the query copy, the stored (or, for ring ranges, true) key position is subtracted.
     */
    static double engineDistance(PositionScheme scheme, int p, int j) {
        KeyRanges r = scheme.ranges();
        int firstNear = r.firstNearKey(p, 0);
        int firstSuccessive = r.firstSuccessiveKey(p, 0);
        double query = j >= firstNear ? scheme.nearQueryPosition(p)
                : j >= firstSuccessive ? scheme.successiveQueryPosition(p) : scheme.farQueryPosition(p);
        double key = j >= firstNear && r.nearKeysFromRing() ? j : scheme.storedKeyPosition(j);
        return query - key;
    }

    private static double[] row(PositionScheme scheme, int p) {
        double[] d = new double[p + 1];
        for (int j = 0; j <= p; j++) {
            d[j] = engineDistance(scheme, p, j);
        }
        return d;
    }

    @Test
    void dcaFigure2RelativePositions() {
        // The paper's Figure 2 (c): chunk size s = 6, pretraining window c = 10, local window w = 4, 12 tokens.
        DualChunkAttention dca = new DualChunkAttention(6, 4);
        assertArrayEquals(new double[]{0}, row(dca, 0));
        assertArrayEquals(new double[]{5, 4, 3, 2, 1, 0}, row(dca, 5));
        assertArrayEquals(new double[]{6, 5, 4, 3, 2, 1, 0}, row(dca, 6));
        assertArrayEquals(new double[]{7, 6, 5, 4, 3, 2, 1, 0}, row(dca, 7));
        assertArrayEquals(new double[]{8, 7, 6, 5, 4, 3, 2, 1, 0}, row(dca, 8));
        assertArrayEquals(new double[]{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, row(dca, 9));
        assertArrayEquals(new double[]{9, 8, 7, 6, 5, 4, 4, 3, 2, 1, 0}, row(dca, 10));
        assertArrayEquals(new double[]{9, 8, 7, 6, 5, 4, 5, 4, 3, 2, 1, 0}, row(dca, 11));
        // A third chunk (by hand from Eq. 5–7): inter-chunk keys 0…5 at 9 − P_k, successive keys 6…11 at P_succ − P_k.
        assertArrayEquals(new double[]{9, 8, 7, 6, 5, 4, 6, 5, 4, 3, 2, 1, 0}, row(dca, 12));
        assertArrayEquals(new double[]{9, 8, 7, 6, 5, 4, 9, 8, 7, 6, 5, 4, 5, 4, 3, 2, 1, 0}, row(dca, 17));
        assertEquals(9, dca.largestPosition());
        assertEquals(Long.MAX_VALUE, dca.maxLength(10));
        assertEquals(9, dca.maxLength(9)); // s + w > L: only inputs that fit L anyway
    }

    @Test
    void reropeAndLeakyReropeRelativePositions() {
        // w = 4, 10 tokens: ReRoPE clips every distance at w; Leaky ReRoPE (k = 2) continues at w + (d − w)/2.
        assertArrayEquals(new double[]{4, 4, 4, 4, 4, 4, 3, 2, 1, 0}, row(new ReRope(4), 9));
        assertArrayEquals(new double[]{6.5, 6, 5.5, 5, 4.5, 4, 3, 2, 1, 0}, row(new LeakyReRope(4, 2), 9));
        assertArrayEquals(new double[]{2, 1, 0}, row(new ReRope(4), 2));
    }

    @Test
    void engineDistancesEqualTheReferenceFormulasEverywhere() {
        PositionScheme[] schemes = {new DualChunkAttention(6, 4), new DualChunkAttention(5, 5), new DualChunkAttention(7, 1),
                new ReRope(5), new LeakyReRope(3, 2.5)};
        for (PositionScheme scheme : schemes) {
            NaivePositionMatrixAttention.Positions reference = reference(scheme);
            for (int p = 0; p < 40; p++) {
                for (int j = 0; j <= p; j++) {
                    double[] pair = reference.of(p, j);
                    assertEquals(pair[0] - pair[1], engineDistance(scheme, p, j), 1e-12, scheme.describe() + " p=" + p + " j=" + j);
                }
            }
        }
    }

    static Stream<Arguments> settings() {
        return Stream.of(
                // heads, kvHeads, headDim, rotaryDims, layout, scheme, n, chunk
                Arguments.of(4, 2, 16, 16, RopeLayout.ADJACENT_PAIRS, new DualChunkAttention(6, 4), 40, 40),
                Arguments.of(4, 1, 16, 16, RopeLayout.NEOX, new DualChunkAttention(24, 8), 97, 13),
                Arguments.of(2, 2, 32, 32, RopeLayout.ADJACENT_PAIRS, new DualChunkAttention(64, 16), 150, 1),
                Arguments.of(6, 3, 8, 8, RopeLayout.NEOX, new DualChunkAttention(50, 50), 211, 70),
                Arguments.of(8, 2, 16, 8, RopeLayout.ADJACENT_PAIRS, new DualChunkAttention(100, 1), 143, 64),
                Arguments.of(4, 2, 16, 16, RopeLayout.ADJACENT_PAIRS, new ReRope(4), 150, 150),
                Arguments.of(8, 2, 16, 8, RopeLayout.NEOX, new ReRope(32), 130, 1),
                Arguments.of(6, 3, 8, 8, RopeLayout.ADJACENT_PAIRS, new ReRope(64), 201, 33),
                Arguments.of(4, 2, 16, 16, RopeLayout.NEOX, new LeakyReRope(4, 2), 97, 97),
                Arguments.of(4, 1, 16, 16, RopeLayout.NEOX, new LeakyReRope(16, 3.5), 143, 13),
                Arguments.of(2, 2, 32, 32, RopeLayout.ADJACENT_PAIRS, new LeakyReRope(32, 16), 211, 64));
    }

    @ParameterizedTest
    @MethodSource("settings")
    void fusedKernelEqualsNaiveReference(int heads, int kvHeads, int headDim, int rotaryDims, RopeLayout layout,
                                          PositionScheme scheme, int n, int chunk) {
        Random rnd = new Random(17L * n + chunk + heads);
        float[] q = random(rnd, n * heads * headDim);
        float[] k = random(rnd, n * kvHeads * headDim);
        float[] v = random(rnd, n * kvHeads * headDim);
        double[][][] m = NaivePositionMatrixAttention.matrices(n, reference(scheme));
        double[] expected = NaivePositionMatrixAttention.attend(q, k, v, n, heads, kvHeads, headDim, rotaryDims, layout, BASE, m[0], m[1]);
        float[] actual = fused(q, k, v, n, heads, kvHeads, headDim, rotaryDims, layout, scheme, chunk);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5, scheme.describe() + " output " + i);
        }
    }

    @Test
    void chunkedEqualsAllAtOnceAndTokenByToken() {
        int heads = 4, kvHeads = 2, headDim = 16, n = 180;
        Random rnd = new Random(13);
        float[] q = random(rnd, n * heads * headDim);
        float[] k = random(rnd, n * kvHeads * headDim);
        float[] v = random(rnd, n * kvHeads * headDim);
        for (PositionScheme scheme : new PositionScheme[]{new DualChunkAttention(48, 16), new ReRope(32), new LeakyReRope(32, 4)}) {
            float[] all = fused(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.NEOX, scheme, n);
            float[] chunks = fused(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.NEOX, scheme, 50);
            float[] tokens = fused(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.NEOX, scheme, 1);
            assertArrayEquals(all, chunks, 1e-6f, scheme.describe());
            assertArrayEquals(all, tokens, 1e-6f, scheme.describe());
        }
    }

    @Test
    void dcaCachesWhatPlainAttentionCachesAndReropeAddsItsWindow() {
        int layers = 6, kvHeads = 4, headDim = 16, kvDim = kvHeads * headDim, length = 4096;
        long plain = bytes(layers, kvHeads, headDim, length, PositionScheme.PLAIN);
        assertEquals(2L * layers * length * kvDim * Float.BYTES, plain);
        assertEquals(plain, bytes(layers, kvHeads, headDim, length, new DualChunkAttention(192, 64)), "DCA keeps no true-position keys");
        long window = (long) layers * 64 * kvDim * Float.BYTES;
        assertEquals(plain + window, bytes(layers, kvHeads, headDim, length, new ReRope(64)));
        assertEquals(plain + window, bytes(layers, kvHeads, headDim, length, new LeakyReRope(64, 16)));
    }

    private static long bytes(int layers, int kvHeads, int headDim, int length, PositionScheme scheme) {
        try (KvStore store = CPU.kvStore(new KvShape(layers, kvHeads, headDim, length, scheme.ringSlots()))) {
            return store.allocatedBytes();
        }
    }

    private static float[] fused(float[] q, float[] k, float[] v, int n, int heads, int kvHeads, int headDim,
                                 int rotaryDims, RopeLayout layout, PositionScheme scheme, int chunk) {
        return FusedAttentionRuns.fused(CPU, q, k, v, n, heads, kvHeads, headDim, rotaryDims, layout, scheme, chunk);
    }
}
