package dev.longlm.model;

import dev.longlm.backend.Backend;
import dev.longlm.backend.Tensor;

/**
 * Activation buffers for a batch of up to {@code batchCapacity} positions, allocated once by the
 * backend so that a forward pass allocates no buffers. Each tensor holds one row per position of the
 * batch.
 */
public final class InferenceState implements AutoCloseable {
    final int batchCapacity;
    final Tensor residual;       // x: the residual stream
    final Tensor normed;         // x after a norm
    final AttentionBuffers attention; // q, k, v, their rotations, and the attention output before Wo
    final Tensor projected;      // output of a projection back to dim
    final Tensor gate;
    final Tensor up;
    /** Logits: one row per position when all are requested, else only the last position's. */
    final Tensor logits;
    final boolean allLogits;
    /** The tokens of a batched decode step, one per row. */
    final int[] tokens;

    public InferenceState(ModelConfig c, Backend backend, int batchCapacity, boolean allLogits) {
        this.batchCapacity = batchCapacity;
        this.allLogits = allLogits;
        residual = backend.tensor(batchCapacity, c.dim());
        normed = backend.tensor(batchCapacity, c.dim());
        attention = AttentionBuffers.allocate(backend, batchCapacity, c.queryDim(), c.kvDim());
        projected = backend.tensor(batchCapacity, c.dim());
        gate = backend.tensor(batchCapacity, c.ffnDim());
        up = backend.tensor(batchCapacity, c.ffnDim());
        logits = backend.tensor(allLogits ? batchCapacity : 1, c.vocabSize());
        tokens = new int[batchCapacity];
    }

    /** Frees the buffers (at once on a GPU; the CPU's go with the garbage collector). */
    @Override
    public void close() {
        attention.close();
        for (Tensor t : new Tensor[]{residual, normed, projected, gate, up, logits}) {
            t.close();
        }
    }

    public int batchCapacity() {
        return batchCapacity;
    }

    public boolean allLogits() {
        return allLogits;
    }

    /** Where the logits of the batch's position {@code i} (with all logits) or of its last position start. */
    public int logitsOffset(int i, int vocabSize) {
        return allLogits ? i * vocabSize : 0;
    }
}
