package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The integer kernels (8-bit activation levels times weight levels in 16-bit lanes) against a
 * double-precision product of the dequantized rows with the rounded activations they stand for,
 * called directly so they are checked on any hardware, on rows with large outliers and sub-ranges.
 */
class IntegerKernelTest {
    interface IntegerKernel {
        void run(WeightMatrix m, QuantizedActivations x, float[] out, int rowStart, int rowEnd);
    }

    /**
     * Gaussian weights with outliers, or ({@code saturated}) random ±1 with a few ±0.5, so that most
     * levels sit at the format's extremes: the case where 16-bit partial sums could overflow.
     */
    static WeightMatrix randomMatrix(GgmlType type, int rows, int cols, long seed, boolean saturated) {
        Random rnd = new Random(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = saturated ? (rnd.nextBoolean() ? 1 : -1) * (i % 13 == 0 ? 0.5f : 1f)
                    : (float) rnd.nextGaussian() * (i % 97 == 0 ? 8 : 1);
        }
        return WeightMatrices.of(type, MemorySegment.ofArray(Quantizer.quantize(type, w)), rows, cols);
    }

    static QuantizedActivations randomActivations(GgmlType type, int cols, long seed) {
        return randomActivations(type, cols, seed, false);
    }

    static QuantizedActivations randomActivations(GgmlType type, int cols, long seed, boolean saturated) {
        Random rnd = new Random(seed);
        float[] v = new float[cols + 3];
        for (int i = 0; i < v.length; i++) {
            v[i] = saturated ? (rnd.nextBoolean() ? 1 : -1) : (float) rnd.nextGaussian() * (i % 41 == 0 ? 20 : 1);
        }
        QuantizedActivations x = new QuantizedActivations();
        x.quantize(ActivationFormat.forWeights(type), v, 3, 1, cols);
        return x;
    }

    /** Runs {@code kernel} on rows [5, rows − 2) and checks every row against the double reference. */
    static void assertMatchesReference(GgmlType type, IntegerKernel kernel) {
        int rows = 29;
        for (int cols : new int[] {256, 1024, 2048}) {
            boolean saturated = cols == 2048;
            WeightMatrix m = randomMatrix(type, rows, cols, cols, saturated);
            QuantizedActivations x = randomActivations(type, cols, cols + 1, saturated);
            m.prepare(x);
            float[] out = new float[rows];
            kernel.run(m, x, out, 5, rows - 2);
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                if (r < 5 || r >= rows - 2) {
                    assertEquals(0f, out[r], type + ": row " + r + " is outside the range and must stay untouched");
                    continue;
                }
                m.dequantizeRow(r, row, 0);
                double sum = 0;
                double abs = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) row[c] * x.values()[c];
                    sum += p;
                    abs += Math.abs(p);
                }
                if (!(Math.abs(out[r] - sum) <= 2e-6 * abs)) {
                    fail(type + " " + cols + " columns, row " + r + ": expected " + sum + " got " + out[r]
                            + " (Σ|w·x| " + abs + ")");
                }
            }
        }
    }

    @Test
    void q4_KMatchesDoubleReference() {
        assertMatchesReference(GgmlType.Q4_K, (m, x, out, s, e) -> ((Q4_KMatrix) m).integerMatvec(x, out, 0, s, e));
    }

    @Test
    void q5_KMatchesDoubleReference() {
        assertMatchesReference(GgmlType.Q5_K, (m, x, out, s, e) -> ((Q5_KMatrix) m).integerMatvec(x, out, 0, s, e));
    }

    @Test
    void q6_KMatchesDoubleReference() {
        assertMatchesReference(GgmlType.Q6_K, (m, x, out, s, e) -> ((Q6_KMatrix) m).integerMatvec(x, out, 0, s, e));
    }

    @Test
    void levelPlanesReorderEachSpan() {
        QuantizedActivations x = randomActivations(GgmlType.Q4_K, 512, 7);
        short[] p = x.planes(Q4_KMatrix.PLANES);
        for (int base = 0; base < 512; base += 128) {
            // lane t of plane 2 is the low nibble of byte 2t + 1: value 2t + 1 of chunk 0, or 2t + 1 − 32 of chunk 1 (+ 64)
            assertEquals(x.level(0, base + 1), p[base + 64]);
            assertEquals(x.level(0, base + 64 + 1), p[base + 64 + 16]);
            // plane 3, lane 0: high nibble of byte 1 → value 33
            assertEquals(x.level(0, base + 33), p[base + 96]);
        }
    }
}
