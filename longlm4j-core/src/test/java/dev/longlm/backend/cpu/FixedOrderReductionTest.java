package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every lane reduction of the float kernels equals, bit for bit, a scalar computation written here
 * in the order the kernel promises: lanes accumulated with {@link Math#fma} (or plain additions)
 * chunk by chunk, the lanes folded by halves (upper half onto lower half until one is left), then the
 * scalar tail in index order. A kernel whose order drifts with the JIT tier (as
 * {@code reduceLanes} does) could not pass both this and {@link JitTierIndependenceTest}.
 */
class FixedOrderReductionTest {
    private static final Random RND = new Random(11);

    /** The lanes folded by halves: lane i += lane i + half, for half = n/2, n/4, … 1. */
    private static float foldedSum(float[] lanes) {
        float[] l = lanes.clone();
        for (int half = l.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) {
                l[i] = l[i] + l[i + half];
            }
        }
        return l[0];
    }

    /** One chain of per-lane FMAs over whole chunks of {@code lanes}, folded, then the tail summed in order. */
    private static float chainDot(float[] a, int aOff, float[] b, int bOff, int n, int lanes) {
        float[] acc = new float[lanes];
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            for (int l = 0; l < lanes; l++) {
                acc[l] = Math.fma(a[aOff + i + l], b[bOff + i + l], acc[l]);
            }
        }
        float sum = foldedSum(acc);
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    private static float[] gaussian(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) RND.nextGaussian() * (i % 29 == 0 ? 1000 : 1);
        }
        return v;
    }

    private static void assertSameBits(float expected, float actual, String what) {
        if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
            fail(what + ": expected " + expected + " (" + Integer.toHexString(Float.floatToRawIntBits(expected)) + ") but was "
                    + actual + " (" + Integer.toHexString(Float.floatToRawIntBits(actual)) + ")");
        }
    }

    @Test
    void laneSumFoldsByHalves() {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        VectorSpecies<Float> wide = FloatVector.SPECIES_512;
        for (int trial = 0; trial < 200; trial++) {
            float[] lanes = gaussian(preferred.length() + 3);
            float[] vector = java.util.Arrays.copyOfRange(lanes, 3, lanes.length);
            assertSameBits(foldedSum(vector), LaneSum.ofPreferred(FloatVector.fromArray(preferred, lanes, 3)), "preferred, trial " + trial);
            assertSameBits(foldedSum(vector), LaneSum.ofPreferred(lanes, 3), "preferred from memory, trial " + trial);
            float[] wideLanes = gaussian(wide.length() + 5);
            assertSameBits(foldedSum(java.util.Arrays.copyOfRange(wideLanes, 5, wideLanes.length)), LaneSum.of512(wideLanes, 5),
                    "512-bit, trial " + trial);
        }
    }

    /** Several vectors summed together (packed into shared vectors step by step) give each the bits of its own fold. */
    @Test
    void sumsOfSeveralVectorsEqualEachFold() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        for (int count : new int[] {4, 8}) {
            for (int trial = 0; trial < 100; trial++) {
                float[] stored = gaussian(count * lanes);
                float[] expected = new float[count];
                for (int k = 0; k < count; k++) {
                    expected[k] = foldedSum(java.util.Arrays.copyOfRange(stored, k * lanes, (k + 1) * lanes));
                }
                LaneSum.ofEachPreferred(stored, count);
                for (int k = 0; k < count; k++) {
                    assertSameBits(expected[k], stored[k], count + " vectors, vector " + k + ", trial " + trial);
                }
            }
        }
    }

    /** The fold is not the lane-by-lane order: a sum that cancels shows the difference, so the check above can fail. */
    @Test
    void foldedOrderDiffersFromSequentialOrder() {
        float[] lanes = new float[16];
        lanes[0] = 1e8f;
        lanes[1] = 1f;
        lanes[8] = -1e8f;
        float sequential = 0;
        for (float l : lanes) {
            sequential += l;
        }
        assertEquals(0f, sequential); // (1e8 + 1) rounds back to 1e8, then cancels
        assertEquals(1f, foldedSum(lanes)); // 1e8 meets -1e8 first
        assertSameBits(1f, LaneSum.of512(lanes, 0), "fold");
        assertNotEquals(sequential, LaneSum.of512(lanes, 0));
    }

    @Test
    void vectorKernelDotsAreOneFmaChainFoldedThenTheTail() {
        int lanes = VectorKernels.F.length();
        for (int n : new int[] {0, 3, lanes, 5 * lanes + 3, 773}) {
            float[] a = gaussian(n + 2);
            float[] b = gaussian(n + 1);
            assertSameBits(chainDot(a, 2, b, 1, n, lanes), VectorKernels.dot(a, 2, b, 1, n), "VectorKernels.dot n=" + n);
            assertSameBits(chainDot(a, 2, b, 1, n, FloatVector.SPECIES_PREFERRED.length()), FloatArrays.dot(a, 2, b, 1, n),
                    "FloatArrays.dot n=" + n);
        }
    }

    /** Mapped float rows: two chains (even and odd chunks), added lane-wise, folded, then the tail. */
    @Test
    void mappedDotIsTwoFmaChainsFoldedThenTheTail() {
        int lanes = VectorKernels.F.length();
        for (int n : new int[] {3, lanes, 3 * lanes, 4 * lanes + 5, 773}) {
            float[] a = gaussian(n);
            float[] b = gaussian(n + 4);
            float[] even = new float[lanes];
            float[] odd = new float[lanes];
            int i = 0;
            for (; i + 2 * lanes <= n; i += 2 * lanes) {
                for (int l = 0; l < lanes; l++) {
                    even[l] = Math.fma(a[i + l], b[4 + i + l], even[l]);
                    odd[l] = Math.fma(a[i + lanes + l], b[4 + i + lanes + l], odd[l]);
                }
            }
            for (; i + lanes <= n; i += lanes) {
                for (int l = 0; l < lanes; l++) {
                    even[l] = Math.fma(a[i + l], b[4 + i + l], even[l]);
                }
            }
            for (int l = 0; l < lanes; l++) {
                even[l] += odd[l];
            }
            float expected = foldedSum(even);
            for (; i < n; i++) {
                expected += a[i] * b[4 + i];
            }
            assertSameBits(expected, VectorKernels.dot(MemorySegment.ofArray(a), 0, b, 4, n), "mapped dot n=" + n);
        }
    }

    /** Each product of a 4-row tile with pairs of inputs is the plain dot product, so tiling never changes a result. */
    @Test
    void tiledProductsEqualSingleDots() {
        for (int n : new int[] {VectorKernels.F.length(), 515}) {
            float[] w = gaussian(4 * n);
            float[] x = gaussian(6 * n);
            int outStride = 7;
            float[] out = new float[6 * outStride];
            VectorKernels.dot4xPairs(w, x, 2, 6, n, out, outStride, 1, new float[16 * VectorKernels.F.length()]);
            for (int i = 2; i < 6; i++) {
                for (int k = 0; k < 4; k++) {
                    assertSameBits(VectorKernels.dot(w, k * n, x, i * n, n), out[i * outStride + 1 + k], "row " + k + " × input " + i + ", n=" + n);
                }
            }
        }
    }

    @Test
    void groupSumsAddChunksLaneWiseThenFold() {
        int lanes = VectorKernels.F.length();
        float[] x = gaussian(256 + 5);
        float[] sums = new float[8];
        VectorKernels.groupSums(x, 5, 256, sums);
        for (int g = 0; g < 8; g++) {
            float[] acc = new float[lanes];
            int i = 0;
            for (; i + lanes <= 32; i += lanes) {
                for (int l = 0; l < lanes; l++) {
                    acc[l] += x[5 + 32 * g + i + l];
                }
            }
            float expected = foldedSum(acc);
            for (; i < 32; i++) {
                expected += x[5 + 32 * g + i];
            }
            assertSameBits(expected, sums[g], "group " + g);
        }
    }

    /** The attention helpers' many-vector forms give each product the bits of {@link FloatArrays#dot}. */
    @Test
    void manyVectorDotsEqualSingleDots() {
        int headDim = 4 * FloatVector.SPECIES_PREFERRED.length();
        float[] q = gaussian(4 * headDim + 1);
        float[] k = gaussian(20 * headDim);
        float[] out = new float[4 * 20];
        FloatArrays.dotManyRows(q, 1, headDim, 4, k, 0, headDim, 20, headDim, out, 0, 20);
        for (int h = 0; h < 4; h++) {
            for (int r = 0; r < 20; r++) {
                assertSameBits(FloatArrays.dot(q, 1 + h * headDim, k, r * headDim, headDim), out[h * 20 + r], "dotManyRows " + h + "," + r);
            }
        }
        float[] many = new float[8];
        FloatArrays.dotMany(q, 1, headDim, 4, k, headDim, headDim, many, 0, 2);
        for (int h = 0; h < 4; h++) {
            assertSameBits(FloatArrays.dot(q, 1 + h * headDim, k, headDim, headDim), many[2 * h], "dotMany " + h);
        }
    }

    /** Half and bfloat16 rows: the row widened exactly, one FMA chain, folded, then the tail. */
    @Test
    void halfFloatMatvecsAreOneFmaChainOverTheExactRow() {
        int cols = 515;
        float[] x = gaussian(cols);
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.BF16}) {
            WeightMatrix m = WeightMatrices.of(type, MemorySegment.ofArray(Quantizer.quantize(type, gaussian(3 * cols))), 3, cols);
            float[] out = new float[3];
            m.matvec(x, 0, out, 0, 0, 3);
            float[] row = new float[cols];
            for (int r = 0; r < 3; r++) {
                m.dequantizeRow(r, row, 0);
                assertSameBits(chainDot(row, 0, x, 0, cols, VectorKernels.F.length()), out[r], type + " row " + r);
            }
        }
    }

    /** Softmax exponentials: each value is {@link Exponential}'s; the sum adds chunks lane-wise, folds, then the tail. */
    @Test
    void expShiftSumAddsChunksLaneWiseThenFoldsThenTheTail() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        for (int n : new int[] {3, lanes, 4 * lanes + 5}) {
            float[] scores = gaussian(n + 2);
            float[] original = scores.clone();
            float shift = FloatArrays.max(scores, 2, n);
            float sum = FloatArrays.expShiftSum(scores, 2, n, shift);
            float[] acc = new float[lanes];
            int i = 0;
            if (n >= lanes) {
                for (; i + lanes <= n; i += lanes) {
                    for (int l = 0; l < lanes; l++) {
                        acc[l] += Exponential.of(original[2 + i + l] - shift);
                    }
                }
            }
            float expected = n >= lanes ? foldedSum(acc) : 0;
            for (; i < n; i++) {
                expected += Exponential.of(original[2 + i] - shift);
            }
            assertSameBits(expected, sum, "sum n=" + n);
            for (int j = 0; j < n; j++) {
                assertSameBits(Exponential.of(original[2 + j] - shift), scores[2 + j], "value " + j + " n=" + n);
            }
        }
    }
}
