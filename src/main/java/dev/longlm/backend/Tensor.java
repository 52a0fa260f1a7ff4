package dev.longlm.backend;

/**
 * An activation buffer of up to {@code rows × width} floats, wherever its {@link Backend} keeps them
 * (host arrays for the CPU, device memory for a GPU). Only its backend reads or writes the values; the
 * forward pass passes tensors between operations and reads the logits back with {@link Backend#read}.
 */
public interface Tensor {
    int rows();

    int width();
}
