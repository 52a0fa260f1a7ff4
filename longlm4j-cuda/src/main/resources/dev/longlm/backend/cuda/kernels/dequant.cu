// Embedding rows, dequantization to F16 for the prefill GEMMs, activation conversions.

/** 8 values per thread, 128 threads: 1024 values of a row per block; grid (rows, ceil(cols / 1024)). */
template <typename F>
static __device__ __forceinline__ void dequant_row_chunk(const unsigned char* row, int cols, float* out8, int* count) {
    int c0 = (blockIdx.y * blockDim.x + threadIdx.x) * 8;
    *count = 0;
    if (c0 >= cols) {
        return;
    }
    if (c0 + 8 <= cols) {
        dequant_row8<F>(row, c0, out8);
        *count = 8;
    } else {
        for (int k = 0; k < cols - c0; k++) {
            out8[k] = dequant_tail<F>(row, c0 + k);
        }
        *count = cols - c0;
    }
}

template <typename F>
static __device__ __forceinline__ void get_rows_impl(const unsigned char* W, const int* tokens, float* out, int n, int cols,
                                                     long long rowBytes) {
    int i = blockIdx.x;
    if (i >= n) {
        return;
    }
    const unsigned char* row = W + (long long) tokens[i] * rowBytes;
    float v[8];
    int count;
    dequant_row_chunk<F>(row, cols, v, &count);
    int c0 = (blockIdx.y * blockDim.x + threadIdx.x) * 8;
    float* dst = out + (long long) i * cols + c0;
    for (int k = 0; k < 8; k++) {
        if (k < count) {
            dst[k] = v[k];
        }
    }
}

template <typename F>
static __device__ __forceinline__ void dequant_f16_impl(const unsigned char* W, unsigned short* out, int rows, int cols,
                                                        long long rowBytes) {
    int r = blockIdx.x;
    if (r >= rows) {
        return;
    }
    float v[8];
    int count;
    dequant_row_chunk<F>(W + (long long) r * rowBytes, cols, v, &count);
    int c0 = (blockIdx.y * blockDim.x + threadIdx.x) * 8;
    unsigned short* dst = out + (long long) r * cols + c0;
    if (count == 8 && (cols & 7) == 0) { // 16-byte aligned store
        u32x4 packed;
        packed.x = (unsigned) f32_to_f16(v[0]) | ((unsigned) f32_to_f16(v[1]) << 16);
        packed.y = (unsigned) f32_to_f16(v[2]) | ((unsigned) f32_to_f16(v[3]) << 16);
        packed.z = (unsigned) f32_to_f16(v[4]) | ((unsigned) f32_to_f16(v[5]) << 16);
        packed.w = (unsigned) f32_to_f16(v[6]) | ((unsigned) f32_to_f16(v[7]) << 16);
        *(u32x4*) dst = packed;
    } else {
        for (int k = 0; k < count; k++) {
            dst[k] = f32_to_f16(v[k]);
        }
    }
}

#define LONGLM_GET_ROWS(suffix, F) \
    extern "C" __global__ void __launch_bounds__(128) get_rows_##suffix(const unsigned char* W, const int* tokens, float* out, \
                                                                        int n, int cols, long long rowBytes) { \
        get_rows_impl<F>(W, tokens, out, n, cols, rowBytes); \
    }
LONGLM_ALL_TYPES(LONGLM_GET_ROWS)

#define LONGLM_DEQUANT_F16(suffix, F) \
    extern "C" __global__ void __launch_bounds__(128) dequant_f16_##suffix(const unsigned char* W, unsigned short* out, \
                                                                           int rows, int cols, long long rowBytes) { \
        dequant_f16_impl<F>(W, out, rows, cols, rowBytes); \
    }
LONGLM_QUANT_TYPES(LONGLM_DEQUANT_F16)
LONGLM_DEQUANT_F16(bf16, TypeBF16)
LONGLM_DEQUANT_F16(f32, TypeF32)

/** Grid-stride over n values; any grid works, ceil(n / 256) blocks of 256 is the natural one. */
extern "C" __global__ void convert_f32_to_f16(const float* x, unsigned short* y, long long n) {
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        y[i] = f32_to_f16(x[i]);
    }
}

extern "C" __global__ void convert_f32_to_bf16(const float* x, unsigned short* y, long long n) {
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        y[i] = f32_to_bf16(x[i]);
    }
}

extern "C" __global__ void convert_f16_to_f32(const unsigned short* x, float* y, long long n) {
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        y[i] = f16_to_f32(x[i]);
    }
}
