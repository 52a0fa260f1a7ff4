package dev.longlm.backend.cuda;

import dev.longlm.InputException;

/**
 * What was asked of the GPU does not fit in its free memory. Thrown before allocating, with one
 * line giving what needs how much and what the GPU has, so the user can pick a smaller context or
 * model.
 */
public class CudaOutOfMemoryException extends InputException {
    public CudaOutOfMemoryException(String message) {
        super(message);
    }
}
