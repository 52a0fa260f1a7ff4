package dev.longlm.backend.cuda;

/**
 * A CUDA, cuBLAS or NVRTC call returned an error. Not the user's fault as a rule (that is
 * {@link CudaUnavailableException} or {@link CudaOutOfMemoryException}): a bug in a kernel or in
 * how it was launched, or a GPU fault. The message names the call and the library's name for the
 * error code, e.g. {@code cuLaunchKernel(rms_norm) failed: CUDA_ERROR_INVALID_VALUE (1)}.
 */
public class CudaException extends RuntimeException {
    private final String call;
    private final int code;
    private final String errorName;

    public CudaException(String call, int code, String errorName) {
        this(call, code, errorName, "");
    }

    /** {@code detail} is appended after the error name (e.g. a compile log); may be empty. */
    public CudaException(String call, int code, String errorName, String detail) {
        super(call + " failed: " + errorName + " (" + code + ")" + (detail.isEmpty() ? "" : ": " + detail));
        this.call = call;
        this.code = code;
        this.errorName = errorName;
    }

    /** The function that failed, with the kernel or object it was called for where that helps. */
    public String call() {
        return call;
    }

    /** The raw result code (CUresult, cublasStatus_t or nvrtcResult). */
    public int code() {
        return code;
    }

    /** The library's name for {@link #code()}, e.g. {@code CUDA_ERROR_ILLEGAL_ADDRESS}. */
    public String errorName() {
        return errorName;
    }
}
