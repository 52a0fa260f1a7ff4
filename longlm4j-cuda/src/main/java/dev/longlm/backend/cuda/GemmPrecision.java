package dev.longlm.backend.cuda;

/**
 * Element types of a cuBLAS GEMM: inputs A and B, output C; all accumulate in F32
 * ({@code CUBLAS_COMPUTE_32F}). Half inputs run on tensor cores; {@link #F32} runs plain FP32
 * arithmetic (the handle's math mode is {@code CUBLAS_DEFAULT_MATH}, which does not round to TF32).
 * Enum values are cuda's {@code cudaDataType} ({@code CUDA_R_32F = 0}, {@code CUDA_R_16F = 2},
 * {@code CUDA_R_16BF = 14}, library_types.h).
 */
public enum GemmPrecision {
    F32(Cublas.CUDA_R_32F, Cublas.CUDA_R_32F, 4, 4),
    F16_TO_F32(Cublas.CUDA_R_16F, Cublas.CUDA_R_32F, 2, 4),
    BF16_TO_F32(Cublas.CUDA_R_16BF, Cublas.CUDA_R_32F, 2, 4),
    F16_TO_F16(Cublas.CUDA_R_16F, Cublas.CUDA_R_16F, 2, 2),
    BF16_TO_BF16(Cublas.CUDA_R_16BF, Cublas.CUDA_R_16BF, 2, 2);

    final int inputType;
    final int outputType;
    private final int inputBytes;
    private final int outputBytes;

    GemmPrecision(int inputType, int outputType, int inputBytes, int outputBytes) {
        this.inputType = inputType;
        this.outputType = outputType;
        this.inputBytes = inputBytes;
        this.outputBytes = outputBytes;
    }

    /** Bytes per element of A and B. */
    public int inputBytes() {
        return inputBytes;
    }

    /** Bytes per element of C. */
    public int outputBytes() {
        return outputBytes;
    }
}
