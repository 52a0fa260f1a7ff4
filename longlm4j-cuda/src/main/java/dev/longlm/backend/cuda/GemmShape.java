package dev.longlm.backend.cuda;

/**
 * The column-major arguments of one cuBLAS GEMM, {@code C(m×n) = op(A)(m×k) · op(B)(k×n)}, each
 * matrix with its leading dimension (the distance between columns).
 *
 * @param transposeA whether {@code op(A) = Aᵀ}
 * @param transposeB whether {@code op(B) = Bᵀ}
 */
public record GemmShape(boolean transposeA, boolean transposeB, int m, int n, int k, int lda, int ldb, int ldc) {

    /**
     * The engine's product {@code Y = X · Wᵀ} in row-major terms: weights {@code W} rows×cols
     * (GGUF's layout: one output row per row of W), activations {@code X} n×cols, output
     * {@code Y} n×rows. A row-major r×c matrix is the column-major c×r matrix of the same bytes, so
     * in cuBLAS's column-major terms this is {@code Yᶜ(rows×n) = op_T(Wᶜ, lda = cols) · Xᶜ(cols×n,
     * ldb = cols)} with {@code ldc = rows}: no copy or transpose of either operand.
     */
    public static GemmShape linear(int rows, int cols, int n) {
        if (rows <= 0 || cols <= 0 || n <= 0) {
            throw new IllegalArgumentException("empty product: rows " + rows + ", cols " + cols + ", n " + n);
        }
        return new GemmShape(true, false, rows, n, cols, cols, cols, rows);
    }
}
