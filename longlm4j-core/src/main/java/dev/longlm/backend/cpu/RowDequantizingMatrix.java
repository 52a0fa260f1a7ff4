package dev.longlm.backend.cpu;

/**
 * Kernels shared by every weight type: a row (or a tile of rows) is dequantized exactly into a
 * scratch buffer and consumed with vector dot products. Types with a fused kernel override
 * {@link #matvec}; all use this tiled {@link #matmul}, which dequantizes each weight row once per
 * call and applies it to every input vector while it is hot in cache.
 */
interface RowDequantizingMatrix extends WeightMatrix {
    /** Rows dequantized together in {@link #matmul}; 4 rows × 2 inputs fill the vector registers. */
    int ROW_TILE = 4;

    @Override
    default void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        int cols = cols();
        float[] row = RowScratch.ofThread().row(cols);
        for (int r = rowStart; r < rowEnd; r++) {
            dequantizeRow(r, row, 0);
            out[outOffset + r] = VectorKernels.dot(row, 0, x, xOffset, cols);
        }
    }

    /**
     * Tiled over inputs and rows: a block of inputs small enough to stay in the core's L2 cache is
     * combined with every 4-row weight tile of the range (dequantized once per input block), so
     * neither the inputs nor the weights are streamed from memory once per row.
     */
    @Override
    default void matmul(float[] x, int n, float[] out, int rowStart, int rowEnd) {
        int cols = cols();
        int rows = rows();
        int inputTile = inputTile(cols);
        RowScratch scratch = RowScratch.ofThread();
        float[] tile = scratch.tile(ROW_TILE * cols);
        float[] sums = scratch.lanes(ROW_TILE * inputTile * VectorKernels.F.length());
        for (int i0 = 0; i0 < n; i0 += inputTile) {
            int i1 = Math.min(n, i0 + inputTile);
            for (int r0 = rowStart; r0 < rowEnd; r0 += ROW_TILE) {
                int tileRows = Math.min(ROW_TILE, rowEnd - r0);
                for (int k = 0; k < tileRows; k++) {
                    dequantizeRow(r0 + k, tile, k * cols);
                }
                int i = i0;
                if (tileRows == ROW_TILE) {
                    i = i1 - (i1 - i0) % 2;
                    VectorKernels.dot4xPairs(tile, x, i0, i, cols, out, rows, r0, sums);
                }
                for (; i < i1; i++) {
                    for (int k = 0; k < tileRows; k++) {
                        out[i * rows + r0 + k] = VectorKernels.dot(tile, k * cols, x, i * cols, cols);
                    }
                }
            }
        }
    }

    /** Inputs per block: about 512 KiB of them (a typical L2), between 8 and 64, even. */
    static int inputTile(int cols) {
        int fit = (512 * 1024) / (4 * cols);
        return Math.max(8, Math.min(64, fit)) & ~1;
    }
}
