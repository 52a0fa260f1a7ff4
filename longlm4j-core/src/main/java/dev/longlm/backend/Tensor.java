package dev.longlm.backend;

/**
 * An activation buffer of up to {@code rows × width} floats, wherever its {@link Backend} keeps them
 * (host arrays for the CPU, device memory for a GPU). Only its backend reads or writes the values; the
 * forward pass passes tensors between operations and reads the logits back with {@link Backend#read}.
 * {@link #close} frees device memory at once (a GPU backend also frees what is left unreachable, later).
 */
public interface Tensor extends AutoCloseable {
    int rows();

    int width();

    @Override
    default void close() {
    }
}
