package dev.longlm.tensor;

/**
 * Kernels shared by every weight type: a row (or a tile of rows) is dequantized exactly into a
 * scratch buffer and consumed with vector dot products. Types with a fused kernel override
 * {@link #matvec}; all use this tiled {@link #matmul}, which dequantizes each weight row once per
 * call and applies it to every input vector while it is hot in cache.
 */
interface RowDequantizingMatrix extends WeightMatrix {
    /** Rows dequantized together in {@link #matmul}; four accumulators keep the FMA units busy. */
    int ROW_TILE = 4;

    @Override
    default void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        int cols = cols();
        float[] row = new float[cols];
        for (int r = rowStart; r < rowEnd; r++) {
            dequantizeRow(r, row, 0);
            out[outOffset + r] = VectorKernels.dot(row, 0, x, xOffset, cols);
        }
    }

    @Override
    default void matmul(float[] x, int n, float[] out, int rowStart, int rowEnd) {
        int cols = cols();
        int rows = rows();
        float[] tile = new float[ROW_TILE * cols];
        for (int r0 = rowStart; r0 < rowEnd; r0 += ROW_TILE) {
            int tileRows = Math.min(ROW_TILE, rowEnd - r0);
            for (int k = 0; k < tileRows; k++) {
                dequantizeRow(r0 + k, tile, k * cols);
            }
            for (int i = 0; i < n; i++) {
                int xOff = i * cols;
                int outOff = i * rows + r0;
                if (tileRows == ROW_TILE) {
                    VectorKernels.dot4(tile, 0, x, xOff, cols, out, outOff);
                } else {
                    for (int k = 0; k < tileRows; k++) {
                        out[outOff + k] = VectorKernels.dot(tile, k * cols, x, xOff, cols);
                    }
                }
            }
        }
    }
}
