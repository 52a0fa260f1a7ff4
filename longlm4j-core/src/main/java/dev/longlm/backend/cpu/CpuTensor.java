package dev.longlm.backend.cpu;

import dev.longlm.backend.Tensor;

/** A host activation buffer: {@code rows × width} floats, row-major, in one array. */
record CpuTensor(float[] data, int rows, int width) implements Tensor {
    CpuTensor(int rows, int width) {
        this(new float[Math.multiplyExact(rows, width)], rows, width);
    }

    /** Where row {@code row} starts in {@link #data}. */
    int offset(int row) {
        return row * width;
    }
}
