package dev.longlm.model;

/**
 * Activation buffers for a batch of up to {@code batchCapacity} positions, allocated once so that
 * the forward pass allocates nothing. Each buffer holds one row per position of the batch.
 */
public final class InferenceState {
    final int batchCapacity;
    final float[] residual;       // x: the residual stream
    final float[] normed;         // x after a norm
    final float[] queries;        // queries at true positions
    final float[] groupedQueries; // queries at grouped positions (Self-Extend)
    final float[] keys;           // this batch's keys at true positions
    final float[] values;
    final float[] attention;      // attention output before the output projection
    final float[] projected;      // output of a projection back to dim
    final float[] gate;
    final float[] up;
    // One row's attention inputs and output, for a batched decode step whose rows attend to different caches.
    final float[] rowQueries;
    final float[] rowGroupedQueries;
    final float[] rowKeys;
    final float[] rowValues;
    final float[] rowAttention;
    /** Logits: one row per position when all are requested, else only the last position's. */
    final float[] logits;
    final boolean allLogits;

    public InferenceState(ModelConfig c, int batchCapacity, boolean allLogits) {
        this.batchCapacity = batchCapacity;
        this.allLogits = allLogits;
        residual = new float[batchCapacity * c.dim()];
        normed = new float[batchCapacity * c.dim()];
        queries = new float[batchCapacity * c.queryDim()];
        groupedQueries = new float[batchCapacity * c.queryDim()];
        keys = new float[batchCapacity * c.kvDim()];
        values = new float[batchCapacity * c.kvDim()];
        attention = new float[batchCapacity * c.queryDim()];
        projected = new float[batchCapacity * c.dim()];
        gate = new float[batchCapacity * c.ffnDim()];
        up = new float[batchCapacity * c.ffnDim()];
        rowQueries = new float[c.queryDim()];
        rowGroupedQueries = new float[c.queryDim()];
        rowKeys = new float[c.kvDim()];
        rowValues = new float[c.kvDim()];
        rowAttention = new float[c.queryDim()];
        logits = new float[(allLogits ? batchCapacity : 1) * c.vocabSize()];
    }

    public int batchCapacity() {
        return batchCapacity;
    }

    public boolean allLogits() {
        return allLogits;
    }

    /** Logits of the batch's position {@code i} (with all logits) or of its last position, at {@link #logitsOffset}. */
    public float[] logits() {
        return logits;
    }

    public int logitsOffset(int i, int vocabSize) {
        return allLogits ? i * vocabSize : 0;
    }
}
