// Matrix × vector for decoding with float activations, every format:
//   y[i·rows + r] = Σ_c W[r][c] · x[i·cols + c]   for i < n ≤ 8,
// one warp per row, 4 rows per block of 128 threads; the n input rows share each weight read.
// Weights are dequantized exactly (formats.cu) and multiplied in F32.

/** 8 activations from x + c (16-byte aligned when {@code aligned}). */
static __device__ __forceinline__ void load_x8(const float* x, bool aligned, float* out) {
    if (aligned) {
        f32x4 a = ((const f32x4*) x)[0];
        f32x4 b = ((const f32x4*) x)[1];
        out[0] = a.x; out[1] = a.y; out[2] = a.z; out[3] = a.w;
        out[4] = b.x; out[5] = b.y; out[6] = b.z; out[7] = b.w;
    } else {
#pragma unroll
        for (int k = 0; k < 8; k++) {
            out[k] = x[k];
        }
    }
}

template <typename F, int N>
static __device__ __forceinline__ void matvec_warp(const unsigned char* W, const float* x, float* y, int rows, int cols,
                                                   long long rowBytes) {
    int lane = threadIdx.x & 31;
    int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= rows) {
        return;
    }
    const unsigned char* row = W + (long long) r * rowBytes;
    bool xAligned = (cols & 3) == 0;
    // one-value formats read 16 bytes at a time when every row starts 16-byte aligned
    bool rowAligned = F::VALUES == 1 && (rowBytes & 15) == 0 && (((unsigned long long) W) & 15) == 0;
    float acc[N];
#pragma unroll
    for (int i = 0; i < N; i++) {
        acc[i] = 0.0f;
    }
    int groups = cols / 8;
    // more weight loads in flight per lane when few accumulators leave registers free
#pragma unroll(N <= 2 ? 4 : 2)
    for (int g = lane; g < groups; g += 32) {
        float w[8];
        if constexpr (F::VALUES == 1) {
            if (rowAligned) {
                F::dequant8_aligned(row + (long long) g * 8 * F::BYTES, w);
            } else {
                dequant_row8<F>(row, g * 8, w);
            }
        } else {
            dequant_row8<F>(row, g * 8, w);
        }
#pragma unroll
        for (int i = 0; i < N; i++) {
            float xv[8];
            load_x8(x + (long long) i * cols + g * 8, xAligned, xv);
            float s = acc[i];
#pragma unroll
            for (int k = 0; k < 8; k++) {
                s = fmaf(w[k], xv[k], s);
            }
            acc[i] = s;
        }
    }
    if constexpr (F::VALUES == 1) {
        for (int c = groups * 8 + lane; c < cols; c += 32) {
            float w = dequant_tail<F>(row, c);
#pragma unroll
            for (int i = 0; i < N; i++) {
                acc[i] = fmaf(w, x[(long long) i * cols + c], acc[i]);
            }
        }
    }
#pragma unroll
    for (int i = 0; i < N; i++) {
        float s = warp_sum(acc[i]);
        if (lane == i) {
            y[(long long) i * rows + r] = s;
        }
    }
}

template <typename F>
static __device__ __forceinline__ void matvec_impl(const unsigned char* W, const float* x, float* y, int rows, int cols,
                                                   long long rowBytes, int n) {
    switch (n) {
        case 1: matvec_warp<F, 1>(W, x, y, rows, cols, rowBytes); break;
        case 2: matvec_warp<F, 2>(W, x, y, rows, cols, rowBytes); break;
        case 3: matvec_warp<F, 3>(W, x, y, rows, cols, rowBytes); break;
        case 4: matvec_warp<F, 4>(W, x, y, rows, cols, rowBytes); break;
        case 5: matvec_warp<F, 5>(W, x, y, rows, cols, rowBytes); break;
        case 6: matvec_warp<F, 6>(W, x, y, rows, cols, rowBytes); break;
        case 7: matvec_warp<F, 7>(W, x, y, rows, cols, rowBytes); break;
        case 8: matvec_warp<F, 8>(W, x, y, rows, cols, rowBytes); break;
        default: break;
    }
}

// matvec_<type> takes any n ≤ 8; matvec_<type>_n1 is the same for n = 1 without the registers of
// the larger cases (about half), so twice the warps stay resident while streaming the weights.
#define LONGLM_MATVEC(suffix, F) \
    extern "C" __global__ void __launch_bounds__(128) matvec_##suffix(const unsigned char* W, const float* x, float* y, \
                                                                      int rows, int cols, long long rowBytes, int n) { \
        matvec_impl<F>(W, x, y, rows, cols, rowBytes, n); \
    } \
    extern "C" __global__ void __launch_bounds__(128) matvec_##suffix##_n1(const unsigned char* W, const float* x, float* y, \
                                                                           int rows, int cols, long long rowBytes) { \
        matvec_warp<F, 1>(W, x, y, rows, cols, rowBytes); \
    }
LONGLM_ALL_TYPES(LONGLM_MATVEC)
