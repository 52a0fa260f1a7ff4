package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;

/**
 * A weight matrix of {@code rows × cols} values stored in one ggml type, row-major, each row
 * quantized independently (as ggml stores a 2-D tensor with {@code ne0 = cols}, {@code ne1 = rows}).
 * Implementations read the memory-mapped file in place. Methods work on a row range so that a
 * {@link Parallel} pool can split rows over threads; they must be safe to call concurrently on
 * disjoint ranges.
 */
public interface WeightMatrix {
    GgmlType type();

    int rows();

    int cols();

    /** Writes the {@code cols} values of {@code row}, dequantized exactly as ggml does, to {@code out[outOffset…]}. */
    void dequantizeRow(int row, float[] out, int outOffset);

    /** {@code out[outOffset + r] = Σ_c W[r][c] · x[xOffset + c]} for {@code r} in {@code [rowStart, rowEnd)}. */
    void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd);

    /**
     * {@link #matvec} on one input row already rounded to this type's {@link ActivationFormat}
     * ({@code x.rows() == 1}). Types with integer kernels multiply the 8-bit levels directly, as ggml
     * does; the default uses the rounded values as floats. {@link #prepare} must have been called on
     * {@code x} first.
     */
    default void matvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        matvec(x.values(), 0, out, outOffset, rowStart, rowEnd);
    }

    /**
     * Derives, once per product and before threads share {@code x}, what
     * {@link #matvec(QuantizedActivations, float[], int, int, int)} reads (e.g. reordered levels).
     */
    default void prepare(QuantizedActivations x) {
    }

    /**
     * Batched product for prompt processing: for each of the {@code n} vectors {@code x[i·cols …]},
     * {@code out[i·rows + r] = Σ_c W[r][c] · x[i·cols + c]} for {@code r} in {@code [rowStart, rowEnd)}.
     * Implementations tile so that each weight row is read once per tile of inputs.
     */
    default void matmul(float[] x, int n, float[] out, int rowStart, int rowEnd) {
        for (int i = 0; i < n; i++) {
            matvec(x, i * cols(), out, i * rows(), rowStart, rowEnd);
        }
    }

    /** Bytes of weight data read by one full matvec. */
    default long byteSize() {
        return type().bytesFor((long) rows() * cols());
    }
}
