package dev.longlm.backend;

import dev.longlm.backend.cpu.CpuBackend;

import java.util.ArrayList;
import java.util.List;

/**
 * The backends the cross-backend tests run on: the CPU always; GPU backends when this machine has one.
 * Each comes with how closely its results follow the CPU's (a GPU's F16 KV cache and tensor-core
 * products round differently from the CPU's F32 arithmetic).
 *
 * @param name               for test names
 * @param attentionTolerance absolute tolerance of attention outputs against the double-precision reference
 * @param logprobTolerance   how far log-probabilities of a whole model may be from the CPU's (or llama.cpp's)
 */
public record TestBackends(String name, Backend backend, double attentionTolerance, double logprobTolerance) {
    private static List<TestBackends> available;

    @Override
    public String toString() {
        return name;
    }

    /** The backends of this machine, opened once for the whole test run (closed at JVM exit). */
    public static synchronized List<TestBackends> available() {
        if (available == null) {
            List<TestBackends> list = new ArrayList<>();
            list.add(new TestBackends("cpu", new CpuBackend(2), 2e-5, 0));
            list.addAll(GpuTestBackends.open());
            available = List.copyOf(list);
        }
        return available;
    }
}
