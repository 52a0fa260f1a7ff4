package dev.longlm.backend.cpu;

import dev.longlm.tensor.HalfFloat;
import dev.longlm.InputException;
import dev.longlm.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * matvec and matmul of every type against a double-precision product over the dequantized rows,
 * and against each other. Shapes use a row range that starts and ends mid-matrix and, where the
 * block size allows, a column count that is no multiple of any vector length.
 */
class KernelTest {
    static GgmlType[] types() {
        return WeightMatrices.SUPPORTED.toArray(GgmlType[]::new);
    }

    /** 37 rows; columns: 3 blocks of 256 for K-quants, 23 blocks of 32, or 773 for float types. */
    private static WeightMatrix randomMatrix(GgmlType type, int rows, long seed) {
        int cols = type.blockSize() == 256 ? 768 : type.blockSize() == 32 ? 736 : 773;
        Random rnd = new Random(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * (i % 97 == 0 ? 5 : 1);
        }
        return WeightMatrices.of(type, MemorySegment.ofArray(Quantizer.quantize(type, w)), rows, cols);
    }

    private static float[] randomVector(int n, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /** Checks {@code actual} against Σ w·x in double, relative to Σ |w·x| so cancellation cannot hide errors. */
    private static void assertDot(WeightMatrix m, int row, float[] x, int xOff, float actual, String what) {
        float[] w = new float[m.cols()];
        m.dequantizeRow(row, w, 0);
        double sum = 0;
        double abs = 0;
        for (int c = 0; c < m.cols(); c++) {
            sum += (double) w[c] * x[xOff + c];
            abs += Math.abs((double) w[c] * x[xOff + c]);
        }
        if (!(Math.abs(actual - sum) <= 1e-4 * abs + 1e-30)) {
            fail(m.type() + " " + what + " row " + row + ": expected " + sum + " got " + actual);
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void matvecMatchesDoubleReferenceOnRowRange(GgmlType type) {
        WeightMatrix m = randomMatrix(type, 37, 1);
        float[] x = randomVector(m.cols() + 5, 2);
        float[] out = new float[m.rows() + 3];
        Arrays.fill(out, Float.NaN);
        m.matvec(x, 5, out, 3, 4, 33);
        for (int r = 0; r < m.rows(); r++) {
            if (r >= 4 && r < 33) {
                assertDot(m, r, x, 5, out[3 + r], "matvec");
            } else {
                assertTrue(Float.isNaN(out[3 + r]), "row " + r + " outside the range was written");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.longlm.backend.cpu.GoldenQuantTest#types")
    void matvecOnGgmlBytesMatchesReference(GgmlType type) {
        GoldenQuant g = GoldenQuant.load(type);
        WeightMatrix m = WeightMatrices.of(type, MemorySegment.ofArray(g.quantized()), GoldenQuant.ROWS, GoldenQuant.COLS);
        float[] x = randomVector(GoldenQuant.COLS, 3);
        float[] out = new float[GoldenQuant.ROWS];
        m.matvec(x, 0, out, 0, 0, GoldenQuant.ROWS);
        for (int r = 0; r < GoldenQuant.ROWS; r++) {
            assertDot(m, r, x, 0, out[r], "matvec");
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void matmulEqualsRepeatedMatvec(GgmlType type) {
        assertMatmulEqualsRepeatedMatvec(type, 5); // odd: pairs of inputs and a single one
    }

    @Test
    void matmulSpanningSeveralInputBlocks() {
        assertMatmulEqualsRepeatedMatvec(GgmlType.Q4_K, RowDequantizingMatrix.inputTile(768) + 3);
    }

    private static void assertMatmulEqualsRepeatedMatvec(GgmlType type, int n) {
        WeightMatrix m = randomMatrix(type, 37, 4);
        float[] x = randomVector(n * m.cols(), 5);
        float[] batched = new float[n * m.rows()];
        Arrays.fill(batched, Float.NaN);
        m.matmul(x, n, batched, 2, 35); // 33 rows: eight full tiles and one partial
        for (int i = 0; i < n; i++) {
            float[] single = new float[m.rows()];
            m.matvec(x, i * m.cols(), single, 0, 2, 35);
            for (int r = 0; r < m.rows(); r++) {
                float got = batched[i * m.rows() + r];
                if (r < 2 || r >= 35) {
                    assertTrue(Float.isNaN(got), "row " + r + " outside the range was written");
                } else {
                    if (i % 8 == 0) { // the double reference is slow; matvec (checked elsewhere) covers the rest
                        assertDot(m, r, x, i * m.cols(), got, "matmul");
                    }
                    float tolerance = 1e-4f * (Math.abs(single[r]) + 1);
                    assertEquals(single[r], got, tolerance, type + " input " + i + " row " + r);
                }
            }
        }
    }

    /** The pool rounds inputs of quantized weights as ggml does, then multiplies; checked against the naive rounding. */
    @Test
    void parallelKernelsCoverAllRowsWithGgmlRoundedInputs() {
        try (Parallel pool = new Parallel(2)) {
            for (GgmlType type : types()) {
                WeightMatrix m = randomMatrix(type, 37, 6);
                float[] x = randomVector(3 * m.cols(), 7);
                ActivationFormat format = ActivationFormat.forWeights(type);
                float[] rounded = NaiveActivationRounding.round(format, x, 0, x.length);
                float[] batched = new float[3 * m.rows()];
                float[] single = new float[m.rows()];
                pool.matmul(m, x, 3, batched);
                pool.matvec(m, x, single);
                for (int r = 0; r < m.rows(); r++) {
                    assertDot(m, r, rounded, 0, single[r], "parallel matvec");
                    for (int i = 0; i < 3; i++) {
                        assertDot(m, r, rounded, i * m.cols(), batched[i * m.rows() + r], "parallel matmul");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void activationRoundingMatchesNaiveGgmlReference(GgmlType type) {
        ActivationFormat format = ActivationFormat.forWeights(type);
        if (format == ActivationFormat.F32) {
            return;
        }
        float[] x = randomVector(2 * 768 + 3, 8);
        for (int i = 0; i < 256; i += 7) {
            x[3 + i] = 0.5f * (i % 3 - 1); // ties and exact zeros
        }
        java.util.Arrays.fill(x, 3 + 768, 3 + 768 + 256, 0f); // an all-zero block
        QuantizedActivations q = new QuantizedActivations();
        q.quantize(format, x, 3, 2, 768);
        float[] expected = NaiveActivationRounding.round(format, x, 3, 2 * 768);
        for (int i = 0; i < expected.length; i++) {
            // + 0f: a level of 0 is +0 in ggml's integers whatever the input's sign
            assertEquals(Float.floatToIntBits(expected[i] + 0f), Float.floatToIntBits(q.values()[i] + 0f), format + " value " + i);
            assertEquals(expected[i] + 0f, q.level(i / 768, i % 768) * q.scale(i / 768, i % 768) + 0f, format + " level " + i);
        }
    }

    @Test
    void vectorHalfWideningIsExactForEveryBitPattern() {
        byte[] all = new byte[2 * 65536];
        for (int h = 0; h < 65536; h++) {
            all[2 * h] = (byte) h;
            all[2 * h + 1] = (byte) (h >> 8);
        }
        float[] f16 = new float[65536];
        float[] bf16 = new float[65536];
        new F16Matrix(MemorySegment.ofArray(all), 1, 65536).dequantizeRow(0, f16, 0);
        new Bf16Matrix(MemorySegment.ofArray(all), 1, 65536).dequantizeRow(0, bf16, 0);
        for (int h = 0; h < 65536; h++) {
            assertEquals(Float.floatToRawIntBits(HalfFloat.f16ToF32((short) h)), Float.floatToRawIntBits(f16[h]),
                    "f16 0x" + Integer.toHexString(h));
            assertEquals(h << 16, Float.floatToRawIntBits(bf16[h]), "bf16 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void unsupportedTypeNamesTypeAndAlternatives() {
        InputException e = assertThrows(InputException.class,
                () -> WeightMatrices.of(GgmlType.Q2_K, MemorySegment.ofArray(new byte[84]), 1, 256));
        assertTrue(e.getMessage().contains("Q2_K"), e.getMessage());
        assertTrue(e.getMessage().contains("Q4_K") && e.getMessage().contains("BF16"), e.getMessage());
    }

    @Test
    void shapeThatDoesNotFitDataIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Q8_0Matrix(MemorySegment.ofArray(new byte[34]), 2, 32));
        assertThrows(IllegalArgumentException.class, () -> new Q4_KMatrix(MemorySegment.ofArray(new byte[144]), 1, 32));
    }
}
