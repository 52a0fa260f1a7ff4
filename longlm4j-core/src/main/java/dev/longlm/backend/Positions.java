package dev.longlm.backend;

/**
 * RoPE positions of up to {@code host().length} rows: filled on the host, then made visible to the
 * backend's kernels once per forward pass with {@link Backend#upload(Positions, int)}, and read by every
 * layer's {@link Backend#rope} (positions are the same in every layer, so a GPU copies them once).
 */
public interface Positions extends AutoCloseable {
    /** The host-side values, one per row. */
    double[] host();

    @Override
    default void close() {
    }
}
