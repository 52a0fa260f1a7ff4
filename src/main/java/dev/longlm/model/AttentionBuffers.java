package dev.longlm.model;

import dev.longlm.backend.Backend;
import dev.longlm.backend.Tensor;

/**
 * The inputs, scratch and output of one attention step for up to {@code rows} rows, and the host-side
 * RoPE positions of each row (stored key, query for near keys — its true or renumbered position, or its
 * in-chunk one —, far query, successive-chunk query, true key).
 *
 * @param queries           the batch's raw queries, rotated in place to their near positions
 * @param successiveQueries the queries rotated to their successive-chunk positions (chunked schemes only)
 * @param keys              the batch's raw keys, rotated in place to their true positions when the scheme keeps a ring
 * @param storedKeys        the batch's keys rotated to their stored positions
 */
public record AttentionBuffers(Tensor queries, Tensor farQueries, Tensor successiveQueries, Tensor keys, Tensor storedKeys,
                               Tensor values, Tensor out, double[] storedKeyPositions, double[] queryPositions,
                               double[] farQueryPositions, double[] successiveQueryPositions, double[] trueKeyPositions) {

    public static AttentionBuffers allocate(Backend backend, int rows, int queryDim, int kvDim) {
        return new AttentionBuffers(backend.tensor(rows, queryDim), backend.tensor(rows, queryDim), backend.tensor(rows, queryDim),
                backend.tensor(rows, kvDim), backend.tensor(rows, kvDim), backend.tensor(rows, kvDim),
                backend.tensor(rows, queryDim), new double[rows], new double[rows], new double[rows], new double[rows],
                new double[rows]);
    }
}
