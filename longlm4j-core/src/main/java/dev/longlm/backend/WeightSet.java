package dev.longlm.backend;

import dev.longlm.tensor.TensorData;

import java.util.List;

/** Every weight of a model a backend must hold: the matrices (in their file type) and the small vectors. */
public record WeightSet(List<TensorData> matrices, List<float[]> vectors) {
    /** Bytes of the matrices as stored. */
    public long matrixBytes() {
        return matrices.stream().mapToLong(TensorData::byteSize).sum();
    }

    public long vectorBytes() {
        return vectors.stream().mapToLong(v -> 4L * v.length).sum();
    }
}
