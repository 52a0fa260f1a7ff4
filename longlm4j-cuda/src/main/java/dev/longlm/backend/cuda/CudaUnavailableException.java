package dev.longlm.backend.cuda;

import dev.longlm.InputException;

/**
 * The GPU backend cannot start here: a CUDA library is missing or too old, the driver sees no GPU,
 * or the GPU is too old for the libraries. The message is one line naming what is missing and how
 * to get it; front ends print it like any other {@link InputException} (CLI exit code 2).
 */
public class CudaUnavailableException extends InputException {
    public CudaUnavailableException(String message) {
        super(message);
    }
}
