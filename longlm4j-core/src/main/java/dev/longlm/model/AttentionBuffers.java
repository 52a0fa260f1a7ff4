package dev.longlm.model;

import dev.longlm.backend.Backend;
import dev.longlm.backend.Positions;
import dev.longlm.backend.Tensor;

/**
 * The inputs, scratch and output of one attention step for up to {@code rows} rows, and the RoPE
 * positions of each row (stored key, query for near keys — its true or renumbered position, or its
 * in-chunk one —, far query, successive-chunk query, true key).
 *
 * @param keys       the batch's raw keys, rotated in place to their true positions when the scheme keeps a ring
 * @param storedKeys the batch's keys rotated to their stored positions
 */
public record AttentionBuffers(Tensor queries, Tensor farQueries, Tensor successiveQueries, Tensor keys, Tensor storedKeys,
                               Tensor values, Tensor out, Positions storedKeyPositions, Positions queryPositions,
                               Positions farQueryPositions, Positions successiveQueryPositions, Positions trueKeyPositions) {

    public static AttentionBuffers allocate(Backend backend, int rows, int queryDim, int kvDim) {
        return new AttentionBuffers(backend.tensor(rows, queryDim), backend.tensor(rows, queryDim), backend.tensor(rows, queryDim),
                backend.tensor(rows, kvDim), backend.tensor(rows, kvDim), backend.tensor(rows, kvDim),
                backend.tensor(rows, queryDim), backend.positions(rows), backend.positions(rows), backend.positions(rows),
                backend.positions(rows), backend.positions(rows));
    }

    /** Frees the buffers (at once on a GPU). */
    public void close() {
        for (AutoCloseable part : new AutoCloseable[]{queries, farQueries, successiveQueries, keys, storedKeys, values, out,
                storedKeyPositions, queryPositions, farQueryPositions, successiveQueryPositions, trueKeyPositions}) {
            try {
                part.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Makes the positions of the first {@code rows} rows visible to the backend's kernels, once per forward pass. */
    public void uploadPositions(Backend backend, int rows) {
        backend.upload(storedKeyPositions, rows);
        backend.upload(queryPositions, rows);
        backend.upload(farQueryPositions, rows);
        backend.upload(successiveQueryPositions, rows);
        backend.upload(trueKeyPositions, rows);
    }
}
