package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The row-major convention on the CPU: a naive column-major GEMM with BLAS's definition of
 * op/lda/ldb/ldc, fed {@link GemmShape#linear}'s arguments and the row-major arrays as they lie in
 * memory, must compute {@code Y = X · Wᵀ} as a row-major product defines it.
 */
class GemmShapeTest {
    /** BLAS {@code C = op(A) · op(B)}, column-major: element (i, j) of a matrix with leading dimension ld is at i + j·ld. */
    private static void columnMajorGemm(GemmShape s, double[] a, double[] b, double[] c) {
        for (int i = 0; i < s.m(); i++) {
            for (int j = 0; j < s.n(); j++) {
                double sum = 0;
                for (int p = 0; p < s.k(); p++) {
                    double opA = s.transposeA() ? a[p + i * s.lda()] : a[i + p * s.lda()];
                    double opB = s.transposeB() ? b[j + p * s.ldb()] : b[p + j * s.ldb()];
                    sum += opA * opB;
                }
                c[i + j * s.ldc()] = sum;
            }
        }
    }

    @Test
    void linearIsXTimesWTransposedInRowMajorTerms() {
        int rows = 37, cols = 129, n = 65;
        Random random = new Random(12);
        double[] w = random.doubles((long) rows * cols, -1, 1).toArray();
        double[] x = random.doubles((long) n * cols, -1, 1).toArray();
        double[] y = new double[n * rows];
        GemmShape shape = GemmShape.linear(rows, cols, n);
        assertEquals(new GemmShape(true, false, rows, n, cols, cols, cols, rows), shape);
        columnMajorGemm(shape, w, x, y);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double expected = 0;
                for (int c = 0; c < cols; c++) {
                    expected += x[t * cols + c] * w[r * cols + c];
                }
                assertEquals(expected, y[t * rows + r], 1e-12, "Y[" + t + "][" + r + "]");
            }
        }
    }

    @Test
    void refusesAnEmptyProduct() {
        assertThrows(IllegalArgumentException.class, () -> GemmShape.linear(0, 4, 4));
    }
}
