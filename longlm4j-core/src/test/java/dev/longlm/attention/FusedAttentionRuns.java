package dev.longlm.attention;

import dev.longlm.backend.cpu.CpuBackend;
import dev.longlm.model.AttentionRun;

import java.util.Random;

/** The engine's attention path on the CPU backend over raw inputs, and random inputs for it, for the attention tests. */
final class FusedAttentionRuns {
    static final double BASE = 10000;

    private FusedAttentionRuns() {
    }

    /** Runs the engine's attention path (RoPE, cache, fused kernel) over the raw inputs in chunks of {@code chunk}. */
    static float[] fused(CpuBackend cpu, float[] q, float[] k, float[] v, int n, int heads, int kvHeads, int headDim,
                         int rotaryDims, RopeLayout layout, PositionScheme scheme, int chunk) {
        Rope rope = Rope.standard(headDim, rotaryDims, layout, BASE);
        return AttentionRun.run(cpu, q, k, v, n, heads, kvHeads, headDim, rope, scheme, chunk, Integer.MAX_VALUE, 0f);
    }

    static float[] random(Random rnd, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
