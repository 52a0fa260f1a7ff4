package dev.longlm.model;

import dev.longlm.tensor.TensorData;

/** A projection {@code y = W·x (+ b)}; the bias is null when the file has none. */
public record Linear(TensorData weight, float[] bias) {

    public int outputs() {
        return weight.rows();
    }
}
