package dev.longlm.backend.cpu;

/**
 * One reusable row buffer per thread for kernels that dequantize a row before their dot products,
 * so a decode step allocates nothing. Pool workers live as long as their pool, so the buffer does too.
 */
final class RowScratch {
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    private RowScratch() {
    }

    /** A buffer of at least {@code cols} floats owned by the calling thread (contents undefined). */
    static float[] row(int cols) {
        float[] row = ROW.get();
        if (row.length < cols) {
            row = new float[cols];
            ROW.set(row);
        }
        return row;
    }
}
