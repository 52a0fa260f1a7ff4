package dev.longlm.model;

import dev.longlm.backend.cpu.FloatArrays;
import dev.longlm.backend.cpu.Parallel;
import dev.longlm.backend.cpu.WeightMatrix;

/** A projection {@code y = W·x (+ b)}; the bias is null when the file has none. */
public record Linear(WeightMatrix weight, float[] bias) {

    public int outputs() {
        return weight.rows();
    }

    /** Projects {@code n} rows of {@code x} into {@code n} rows of {@code out}. */
    void apply(Parallel pool, float[] x, int n, float[] out) {
        pool.matmul(weight, x, n, out);
        if (bias != null) {
            for (int i = 0; i < n; i++) {
                FloatArrays.add(bias, 0, out, i * bias.length, bias.length);
            }
        }
    }
}
