package dev.longlm.backend;

import dev.longlm.attention.DualChunkAttention;
import dev.longlm.attention.DualChunkReRopeAttentionTest;
import dev.longlm.attention.LeakyReRope;
import dev.longlm.attention.LlamaCppGroupedPositions;
import dev.longlm.attention.PositionScheme;
import dev.longlm.attention.ReRope;
import dev.longlm.attention.Rope;
import dev.longlm.attention.RopeLayout;
import dev.longlm.attention.SelfExtend;
import dev.longlm.attention.StreamingWindow;
import dev.longlm.backend.cpu.GoldenQuant;
import dev.longlm.backend.cpu.Quantizer;
import dev.longlm.backend.cpu.WeightMatrices;
import dev.longlm.gguf.GgmlType;
import dev.longlm.model.AttentionBuffers;
import dev.longlm.model.AttentionRun;
import dev.longlm.model.CachedAttention;
import dev.longlm.model.Sequence;
import dev.longlm.tensor.TensorData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every operation of every available backend ({@link TestBackends}) against references that share no
 * code with any backend: ggml's own dequantization (golden fixtures), double-precision products of the
 * dequantized weights, norms and activations written from their formulas, and attention from its
 * definition ({@link NaiveAttention}) with each scheme's positions written from its paper. As
 * llama.cpp's test-backend-ops does, with odd sizes and every tensor type.
 */
class BackendOpsTest {
    /** The types of the golden dequantization fixtures, and F32. */
    static Stream<Arguments> backendsAndTypes() {
        List<GgmlType> types = new ArrayList<>(List.of(GoldenQuant.TYPES));
        types.add(GgmlType.F32);
        return TestBackends.available().stream().flatMap(b -> types.stream().map(t -> Arguments.of(b, t)));
    }

    static Stream<TestBackends> backends() {
        return TestBackends.available().stream();
    }

    private static float[] random(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * scale);
        }
        return a;
    }

    private static Tensor upload(Backend backend, float[] values, int rows, int width) {
        Tensor t = backend.tensor(rows, width);
        backend.write(values, t, rows);
        return t;
    }

    private static float[] download(Backend backend, Tensor t, int rows) {
        return java.util.Arrays.copyOf(backend.read(t, rows), rows * t.width());
    }

    private static void assertClose(double expected, double actual, double tolerance, String what) {
        assertTrue(Math.abs(expected - actual) <= tolerance, what + ": expected " + expected + ", got " + actual
                + " (|Δ| " + Math.abs(expected - actual) + " > " + tolerance + ")");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndTypes")
    void embeddingRowsAreGgmlsDequantization(TestBackends b, GgmlType type) {
        Backend backend = b.backend();
        float[] expected;
        TensorData table;
        if (type == GgmlType.F32) {
            expected = random(new Random(3), GoldenQuant.ROWS * GoldenQuant.COLS, 1);
            table = new TensorData("table", type, GoldenQuant.ROWS, GoldenQuant.COLS, MemorySegment.ofArray(Quantizer.quantize(type, expected)));
        } else {
            GoldenQuant g = GoldenQuant.load(type);
            expected = g.dequantized();
            table = new TensorData("table", type, GoldenQuant.ROWS, GoldenQuant.COLS, MemorySegment.ofArray(g.quantized()));
        }
        backend.load(new WeightSet(List.of(table), List.of()));
        int[] tokens = {4, 0, 2, 2};
        Tensor out = backend.tensor(tokens.length, GoldenQuant.COLS);
        backend.embed(table, tokens, 0, tokens.length, out);
        float[] actual = download(backend, out, tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            for (int c = 0; c < GoldenQuant.COLS; c++) {
                assertEquals(expected[tokens[i] * GoldenQuant.COLS + c], actual[i * GoldenQuant.COLS + c], 0f,
                        type + " row " + tokens[i] + " col " + c);
            }
        }
    }

    /**
     * {@code x·Wᵀ + b} for decoding-sized and prompt-sized batches against a double-precision product of
     * the dequantized weights and the unrounded inputs. Backends may round the inputs (to 8-bit blocks as
     * llama.cpp's CPU backend does for quantized weights, or to F16/BF16 for tensor cores): the bound is
     * {@code Σ|w|·max|x|/200} plus float accumulation.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndTypes")
    void linearEqualsTheDequantizedProduct(TestBackends b, GgmlType type) {
        Backend backend = b.backend();
        int rows = 67;
        int cols = 512;
        Random rnd = new Random(type.ordinal());
        float[] w = random(rnd, rows * cols, 0.05);
        TensorData weight = new TensorData("w", type, rows, cols, MemorySegment.ofArray(Quantizer.quantize(type, w)));
        float[] bias = random(rnd, rows, 1);
        float[] dequantized = new float[rows * cols];
        var host = WeightMatrices.of(type, weight.bytes(), rows, cols);
        for (int r = 0; r < rows; r++) {
            host.dequantizeRow(r, dequantized, r * cols);
        }
        backend.load(new WeightSet(List.of(weight), List.of(bias)));
        for (int n : new int[]{1, 3, 37}) {
            float[] x = random(rnd, n * cols, 1);
            Tensor out = backend.tensor(n, rows);
            backend.linear(weight, bias, upload(backend, x, n, cols), out, n);
            float[] y = download(backend, out, n);
            for (int i = 0; i < n; i++) {
                double amax = 0;
                for (int c = 0; c < cols; c++) {
                    amax = Math.max(amax, Math.abs(x[i * cols + c]));
                }
                for (int r = 0; r < rows; r++) {
                    double exact = bias[r];
                    double absW = 0;
                    double absWx = 0;
                    for (int c = 0; c < cols; c++) {
                        exact += (double) dequantized[r * cols + c] * x[i * cols + c];
                        absW += Math.abs(dequantized[r * cols + c]);
                        absWx += Math.abs((double) dequantized[r * cols + c] * x[i * cols + c]);
                    }
                    // Weights exact in a float type: the product must be the F32 one (a backend that rounds
                    // the inputs must compensate, e.g. hi + lo halves); quantized weights may take rounded inputs.
                    double bound = switch (type) {
                        case F32, F16 -> 1e-5 * absWx;
                        case BF16 -> 5e-5 * absWx;
                        default -> absW * amax / 200;
                    } + 1e-5;
                    assertClose(exact, y[i * rows + r], bound, type + " n=" + n + " row " + i + " output " + r);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void normsFollowTheirFormulas(TestBackends b) {
        Backend backend = b.backend();
        Random rnd = new Random(5);
        int n = 3;
        int width = 96;
        float[] x = random(rnd, n * width, 2);
        float[] weight = random(rnd, width, 1);
        float[] bias = random(rnd, width, 1);
        float eps = 1e-5f;
        Tensor in = upload(backend, x, n, width);
        Tensor rms = backend.tensor(n, width);
        Tensor layer = backend.tensor(n, width);
        Tensor layerNoBias = backend.tensor(n, width);
        backend.rmsNorm(weight, eps, in, rms, n);
        backend.layerNorm(weight, bias, eps, in, layer, n);
        backend.layerNorm(weight, null, eps, in, layerNoBias, n);
        float[] r = download(backend, rms, n);
        float[] l = download(backend, layer, n);
        float[] l0 = download(backend, layerNoBias, n);
        // Qwen 3's per-head norm: each 16-wide head vector of a row normalised on its own.
        float[] headWeight = random(rnd, 16, 1);
        Tensor heads = upload(backend, x, n, width);
        backend.headRmsNorm(headWeight, eps, heads, n);
        float[] hn = download(backend, heads, n);
        for (int i = 0; i < n; i++) {
            double ss = 0;
            double mean = 0;
            for (int c = 0; c < width; c++) {
                ss += (double) x[i * width + c] * x[i * width + c];
                mean += x[i * width + c];
            }
            mean /= width;
            double var = 0;
            for (int c = 0; c < width; c++) {
                var += (x[i * width + c] - mean) * (x[i * width + c] - mean);
            }
            double inv = 1 / Math.sqrt(ss / width + eps);
            double invStd = 1 / Math.sqrt(var / width + eps);
            for (int c = 0; c < width; c++) {
                int o = i * width + c;
                assertClose(x[o] * inv * weight[c], r[o], 1e-5, "rmsNorm " + o);
                assertClose((x[o] - mean) * invStd * weight[c] + bias[c], l[o], 1e-5, "layerNorm " + o);
                assertClose((x[o] - mean) * invStd * weight[c], l0[o], 1e-5, "layerNorm without bias " + o);
            }
            for (int h = 0; h < width / 16; h++) {
                double hss = 0;
                for (int d = 0; d < 16; d++) {
                    hss += (double) x[i * width + h * 16 + d] * x[i * width + h * 16 + d];
                }
                double hinv = 1 / Math.sqrt(hss / 16 + eps);
                for (int d = 0; d < 16; d++) {
                    int o = i * width + h * 16 + d;
                    assertClose(x[o] * hinv * headWeight[d], hn[o], 1e-5, "headRmsNorm " + o);
                }
            }
        }
    }

    private static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * x * (1 + 0.044715 * x * x)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void elementwiseOperationsFollowTheirFormulas(TestBackends b) {
        Backend backend = b.backend();
        Random rnd = new Random(9);
        int n = 5;
        int width = 40;
        float[] a = random(rnd, n * width, 4);
        float[] c = random(rnd, n * width, 4);
        a[0] = -12; // beyond GELU's table range: 0
        a[1] = 11;  // beyond it on the other side: x
        Tensor ta = upload(backend, a, n, width);
        Tensor tc = upload(backend, c, n, width);
        backend.add(ta, tc, n);
        float[] sum = download(backend, tc, n);
        Tensor scaled = upload(backend, a, n, width);
        backend.scale(scaled, n, 0.37f);
        float[] sc = download(backend, scaled, n);
        Tensor up = upload(backend, c, n, width);
        backend.swiglu(ta, up, n);
        float[] sw = download(backend, up, n);
        Tensor up2 = upload(backend, c, n, width);
        backend.geglu(ta, up2, n);
        float[] gg = download(backend, up2, n);
        Tensor g = upload(backend, a, n, width);
        backend.gelu(g, n);
        float[] ge = download(backend, g, n);
        Tensor capped = upload(backend, a, n, width);
        backend.softCap(capped, n, 3f);
        float[] cap = download(backend, capped, n);
        Tensor copy = backend.tensor(n, width);
        backend.copyRows(ta, 2, copy, 1, 3);
        float[] copied = download(backend, copy, 4);
        for (int i = 0; i < n * width; i++) {
            double silu = a[i] / (1 + Math.exp(-a[i]));
            assertClose((double) a[i] + c[i], sum[i], 1e-6, "add " + i);
            assertClose(a[i] * 0.37, sc[i], 1e-5, "scale " + i);
            assertClose(silu * c[i], sw[i], 1e-5 * (1 + Math.abs(silu * c[i])), "swiglu " + i);
            // GELU as llama.cpp evaluates it: through an f16 table (≈ 2^-11 relative) within ±10.
            double gl = a[i] <= -10 ? 0 : a[i] >= 10 ? a[i] : gelu(a[i]);
            assertClose(gl, ge[i], 2e-3 * Math.abs(a[i]) + 1e-6, "gelu " + i);
            assertClose(gl * c[i], gg[i], 2e-3 * Math.abs(a[i] * c[i]) + 1e-6, "geglu " + i);
            assertClose(3 * Math.tanh(a[i] / 3), cap[i], 1e-6, "softCap " + i);
        }
        for (int i = 0; i < 3 * width; i++) {
            assertEquals(a[2 * width + i], copied[width + i], 0f, "copyRows " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void ropeRotatesEveryRowToItsPosition(TestBackends b) {
        Backend backend = b.backend();
        Random rnd = new Random(13);
        int n = 7;
        int heads = 3;
        int headDim = 16;
        for (RopeLayout layout : RopeLayout.values()) {
            for (int rotary : new int[]{16, 10}) {
                double[] invFreq = new double[rotary / 2];
                for (int i = 0; i < invFreq.length; i++) {
                    invFreq[i] = Math.pow(10000, -2.0 * i / rotary) * (1 + 0.1 * i);
                }
                Rope rope = new Rope(headDim, rotary, layout, invFreq, 1.125f);
                float[] x = random(rnd, n * heads * headDim, 1);
                double[] positions = {0, 1, 5, 200.5, 1e5 + 0.25, 3, 77};
                Positions table = backend.positions(n);
                System.arraycopy(positions, 0, table.host(), 0, n);
                backend.upload(table, n);
                Tensor src = upload(backend, x, n, heads * headDim);
                Tensor dst = backend.tensor(n, heads * headDim);
                backend.rope(rope, src, dst, 1, n - 1, table);
                float[] out = download(backend, dst, n);
                for (int i = 1; i < n; i++) {
                    for (int h = 0; h < heads; h++) {
                        int o = (i * heads + h) * headDim;
                        double[] ref = NaiveAttention.rotate(x, o, headDim, rotary, layout, invFreq, 1.125, positions[i]);
                        for (int d = 0; d < headDim; d++) {
                            double expected = d < rotary ? ref[d] : x[o + d];
                            assertClose(expected, out[o + d], 2e-5, layout + " rotary " + rotary + " row " + i + " head " + h + " dim " + d);
                        }
                    }
                }
            }
        }
    }

    /** A scheme with the (query, key) positions its paper gives, independently of the scheme's own code. */
    private record SchemeCase(String name, PositionScheme scheme, NaiveAttention.PairPositions rule) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static SchemeCase plain() {
        return new SchemeCase("plain", PositionScheme.PLAIN, (p, j) -> new double[]{p, j});
    }

    private static SchemeCase selfExtend(int g, int w) {
        return new SchemeCase("self-extend G" + g + " W" + w, SelfExtend.of(g, w),
                (p, j) -> p - j < w ? new double[]{p, j} : new double[]{Math.floorDiv(p, g) + w - w / g, Math.floorDiv(j, g)});
    }

    private static SchemeCase streaming(int sinks, int recent) {
        return new SchemeCase("streaming " + sinks + "+" + recent, new StreamingWindow(sinks, recent),
                (p, j) -> p - j < recent ? new double[]{p, j} : j < sinks ? new double[]{Math.min(p, sinks + recent - 1), j} : null);
    }

    private static SchemeCase dca(int s, int w) {
        return new SchemeCase("dca s" + s + " w" + w, new DualChunkAttention(s, w),
                (p, j) -> DualChunkReRopeAttentionTest.dcaPaperPositions(p, j, s, w));
    }

    private static SchemeCase rerope(int w) {
        return new SchemeCase("rerope w" + w, new ReRope(w), (p, j) -> DualChunkReRopeAttentionTest.reropePositions(p, j, w));
    }

    private static SchemeCase leakyRerope(int w, double k) {
        return new SchemeCase("leaky-rerope w" + w + " k" + k, new LeakyReRope(w, k),
                (p, j) -> DualChunkReRopeAttentionTest.leakyPositions(p, j, w, k));
    }

    static Stream<Arguments> attentionCases() {
        // heads, kvHeads, headDim, rotary, layout, scheme, n, chunk, span, softCap
        List<Object[]> cases = List.of(
                new Object[]{4, 2, 16, 16, RopeLayout.ADJACENT_PAIRS, plain(), 97, 97, Integer.MAX_VALUE, 0f},
                new Object[]{8, 1, 32, 32, RopeLayout.NEOX, plain(), 130, 41, Integer.MAX_VALUE, 0f},
                new Object[]{4, 2, 16, 16, RopeLayout.ADJACENT_PAIRS, selfExtend(2, 4), 150, 150, Integer.MAX_VALUE, 0f},
                new Object[]{4, 1, 16, 16, RopeLayout.NEOX, selfExtend(4, 16), 143, 13, Integer.MAX_VALUE, 0f},
                new Object[]{8, 2, 16, 8, RopeLayout.ADJACENT_PAIRS, selfExtend(3, 9), 130, 1, Integer.MAX_VALUE, 0f},
                new Object[]{6, 3, 8, 8, RopeLayout.NEOX, selfExtend(16, 64), 211, 70, Integer.MAX_VALUE, 0f},
                new Object[]{4, 4, 64, 64, RopeLayout.NEOX, selfExtend(8, 96), 300, 128, Integer.MAX_VALUE, 0f},
                new Object[]{4, 2, 16, 16, RopeLayout.NEOX, streaming(4, 37), 140, 29, Integer.MAX_VALUE, 0f},
                new Object[]{4, 2, 16, 16, RopeLayout.ADJACENT_PAIRS, plain(), 90, 30, 17, 0f},
                new Object[]{4, 2, 16, 16, RopeLayout.ADJACENT_PAIRS, plain(), 90, 90, Integer.MAX_VALUE, 2.5f},
                new Object[]{8, 4, 16, 16, RopeLayout.NEOX, selfExtend(4, 32), 120, 1, 50, 1.5f},
                // DCA (chunk sizes not multiples of a kernel tile, w = s once, a span and soft-cap), ReRoPE and
                // Leaky ReRoPE (the sliding-window kind with other positions), at once, chunked and token by token
                new Object[]{4, 2, 16, 16, RopeLayout.ADJACENT_PAIRS, dca(20, 8), 97, 97, Integer.MAX_VALUE, 0f},
                new Object[]{8, 2, 16, 16, RopeLayout.NEOX, dca(16, 5), 70, 1, Integer.MAX_VALUE, 0f},
                new Object[]{8, 1, 32, 32, RopeLayout.NEOX, dca(37, 37), 130, 41, Integer.MAX_VALUE, 0f},
                new Object[]{4, 4, 64, 64, RopeLayout.ADJACENT_PAIRS, dca(100, 60), 300, 128, Integer.MAX_VALUE, 0f},
                new Object[]{8, 4, 16, 16, RopeLayout.NEOX, dca(24, 10), 90, 30, 50, 1.5f},
                new Object[]{4, 2, 16, 16, RopeLayout.ADJACENT_PAIRS, rerope(12), 100, 33, Integer.MAX_VALUE, 0f},
                new Object[]{4, 2, 16, 8, RopeLayout.NEOX, leakyRerope(12, 2.5), 100, 1, Integer.MAX_VALUE, 0f});
        return TestBackends.available().stream().flatMap(b -> cases.stream().map(c -> {
            Object[] args = new Object[c.length + 1];
            args[0] = b;
            System.arraycopy(c, 0, args, 1, c.length);
            return Arguments.of(args);
        }));
    }

    @ParameterizedTest(name = "{0} {6} heads {1}/{2}x{3} rot {4} {5} n {7} chunk {8} span {9} cap {10}")
    @MethodSource("attentionCases")
    void attentionEqualsTheDefinition(TestBackends b, int heads, int kvHeads, int headDim, int rotary, RopeLayout layout,
                                      SchemeCase scheme, int n, int chunk, int span, float softCap) {
        Random rnd = new Random(31L * n + chunk + heads);
        float[] q = random(rnd, n * heads * headDim, 1);
        float[] k = random(rnd, n * kvHeads * headDim, 1);
        float[] v = random(rnd, n * kvHeads * headDim, 1);
        Rope rope = Rope.standard(headDim, rotary, layout, 10000);
        double[] invFreq = rope.inverseFrequencies();
        NaiveAttention.PairPositions rule = span == Integer.MAX_VALUE ? scheme.rule()
                : (p, j) -> p - j >= span ? null : scheme.rule().of(p, j);
        double[] expected = NaiveAttention.attend(q, k, v, n, heads, kvHeads, headDim, rotary, layout, invFreq, 1, rule, softCap);
        float[] actual = AttentionRun.run(b.backend(), q, k, v, n, heads, kvHeads, headDim, rope, scheme.scheme(), chunk, span, softCap);
        for (int i = 0; i < expected.length; i++) {
            assertClose(expected[i], actual[i], b.attentionTolerance(), "output " + i);
        }
    }

    /**
     * llama.cpp's regrouping re-rotates cached keys in place: keys cached at j and rotated by d(j) must
     * score as keys cached at j + d(j) would.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void rotatingStoredKeysMovesTheirPositions(TestBackends b) {
        Backend backend = b.backend();
        int heads = 4, kvHeads = 2, headDim = 16, n = 40;
        Random rnd = new Random(17);
        float[] q = random(rnd, n * heads * headDim, 1);
        float[] k = random(rnd, n * kvHeads * headDim, 1);
        float[] v = random(rnd, n * kvHeads * headDim, 1);
        Rope rope = Rope.standard(headDim, headDim, RopeLayout.NEOX, 10000);
        double[] deltas = new double[n - 1 - 5];
        for (int i = 0; i < deltas.length; i++) {
            deltas[i] = i % 3 == 0 ? 0 : -(i % 7) - 0.5 * (i % 2);
        }
        PositionScheme scheme = new LlamaCppGroupedPositions(2, 8); // plain ranges; positions as given
        CachedAttention attention = new CachedAttention(backend, (float) (1 / Math.sqrt(headDim)), 0f);
        try (KvStore store = backend.kvStore(new KvShape(1, kvHeads, headDim, n, 0))) {
            Sequence sequence = new Sequence(store, scheme, rope, n);
            AttentionBuffers buf = AttentionBuffers.allocate(backend, n, heads * headDim, kvHeads * headDim);
            backend.write(q, buf.queries(), n - 1);
            backend.write(k, buf.keys(), n - 1);
            backend.write(v, buf.values(), n - 1);
            for (int i = 0; i < n - 1; i++) {
                CachedAttention.setPositions(sequence, i, i, buf);
            }
            buf.uploadPositions(backend, n - 1);
            attention.forward(0, sequence, buf, 0, n - 1, 0, Integer.MAX_VALUE);
            store.setLength(n - 1);
            backend.rotateStoredKeys(store, rope, 5, deltas);
            backend.write(java.util.Arrays.copyOfRange(q, (n - 1) * heads * headDim, n * heads * headDim), buf.queries(), 1);
            backend.write(java.util.Arrays.copyOfRange(k, (n - 1) * kvHeads * headDim, n * kvHeads * headDim), buf.keys(), 1);
            backend.write(java.util.Arrays.copyOfRange(v, (n - 1) * kvHeads * headDim, n * kvHeads * headDim), buf.values(), 1);
            CachedAttention.setPositions(sequence, n - 1, 0, buf);
            buf.uploadPositions(backend, 1);
            attention.forward(0, sequence, buf, 0, 1, n - 1, Integer.MAX_VALUE);
            float[] actual = download(backend, buf.out(), 1);
            double[] expected = NaiveAttention.attend(q, k, v, n, heads, kvHeads, headDim, headDim, RopeLayout.NEOX,
                    rope.inverseFrequencies(), 1, (p, j) -> new double[]{p, j >= 5 && j - 5 < deltas.length ? j + deltas[j - 5] : j}, 0);
            for (int i = 0; i < heads * headDim; i++) {
                assertClose(expected[(n - 1) * heads * headDim + i], actual[i], b.attentionTolerance(), "output " + i);
            }
        }
    }
}
