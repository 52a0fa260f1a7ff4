// Norms, activations and elementwise updates, each written to give what the CPU backend gives
// (FloatArrays, Transformer, Gelu): float products kept separate from sums (no FMA contraction),
// exp and tanh in double where the CPU takes Math.exp / Math.tanh of a float.

#define LONGLM_GRID_STRIDE(i, n) \
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long) gridDim.x * blockDim.x)

/** y[r·width + c] += b[c]. */
extern "C" __global__ void add_bias(float* y, const float* b, int rows, int width) {
    LONGLM_GRID_STRIDE(i, (long long) rows * width) {
        y[i] = __fadd_rn(y[i], b[i % width]);
    }
}

/** y += a. */
extern "C" __global__ void add(const float* a, float* y, long long n) {
    LONGLM_GRID_STRIDE(i, n) {
        y[i] = __fadd_rn(y[i], a[i]);
    }
}

/** x *= s. */
extern "C" __global__ void scale(float* x, float s, long long n) {
    LONGLM_GRID_STRIDE(i, n) {
        x[i] = __fmul_rn(x[i], s);
    }
}

// The norms keep a row in registers when it fits (up to NORM_HELD values per thread: widths up to
// 8192 with 256 threads): every load of x and w is issued before the first use, and nothing is
// read back after the stores (with out == x in place, a loop that reloads x and w after each store
// waits one memory latency per iteration: a 4096-wide row took 15 µs that way). Wider rows take
// the plain loops. The double sum has a fixed order: per thread in index order, then block_sum.
// The held rows take up to ~200 registers (layer_norm), hence blocks of at most 256 threads.
#define LONGLM_NORM_HELD 32

/** v[k] = p[threadIdx.x + k·blockDim.x] for k < NORM_HELD, 0 beyond width. */
static __device__ __forceinline__ void load_held(const float* p, int width, float* v) {
#pragma unroll
    for (int k = 0; k < LONGLM_NORM_HELD; k++) {
        int c = threadIdx.x + k * blockDim.x;
        v[k] = c < width ? p[c] : 0.0f;
    }
}

/** inv = (float) (1 / sqrt(ss / width + eps)), as FloatArrays.rmsNorm and layerNorm compute it. */
static __device__ __forceinline__ float inverse_rms(double ss, int width, float eps) {
    return (float) (1.0 / sqrt(ss / width + (double) eps));
}

/**
 * RMSNorm of one row per block (FloatArrays.rmsNorm): the squares of the float values summed in
 * double, inv = (float) (1 / sqrt(ss / width + eps)), out = x·inv·w. In place allowed.
 */
extern "C" __global__ void __launch_bounds__(256) rms_norm(const float* x, const float* w, float* out, int rows, int width, float eps) {
    __shared__ double scratch[32];
    int r = blockIdx.x;
    if (r >= rows) {
        return;
    }
    const float* xr = x + (long long) r * width;
    float* o = out + (long long) r * width;
    if (width <= LONGLM_NORM_HELD * (int) blockDim.x) {
        float v[LONGLM_NORM_HELD], g[LONGLM_NORM_HELD];
        load_held(xr, width, v);
        load_held(w, width, g);
        double ss = 0.0;
#pragma unroll
        for (int k = 0; k < LONGLM_NORM_HELD; k++) {
            ss += (double) __fmul_rn(v[k], v[k]);
        }
        float inv = inverse_rms(block_sum(ss, scratch), width, eps);
#pragma unroll
        for (int k = 0; k < LONGLM_NORM_HELD; k++) {
            int c = threadIdx.x + k * blockDim.x;
            if (c < width) {
                o[c] = __fmul_rn(__fmul_rn(v[k], inv), g[k]);
            }
        }
        return;
    }
    double ss = 0.0;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        float v = xr[c];
        ss += (double) __fmul_rn(v, v);
    }
    float inv = inverse_rms(block_sum(ss, scratch), width, eps);
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        o[c] = __fmul_rn(__fmul_rn(xr[c], inv), w[c]);
    }
}

/** LayerNorm of one row per block (FloatArrays.layerNorm), bias optional (null). In place allowed. */
extern "C" __global__ void __launch_bounds__(256) layer_norm(const float* x, const float* w, const float* b, float* out, int rows, int width, float eps) {
    __shared__ double scratch[32];
    int r = blockIdx.x;
    if (r >= rows) {
        return;
    }
    const float* xr = x + (long long) r * width;
    float* o = out + (long long) r * width;
    if (width <= LONGLM_NORM_HELD * (int) blockDim.x) {
        float v[LONGLM_NORM_HELD], g[LONGLM_NORM_HELD], h[LONGLM_NORM_HELD];
        load_held(xr, width, v);
        load_held(w, width, g);
        if (b != nullptr) {
            load_held(b, width, h);
        }
        double sum = 0.0;
#pragma unroll
        for (int k = 0; k < LONGLM_NORM_HELD; k++) {
            sum += (double) v[k];
        }
        float mean = (float) (block_sum(sum, scratch) / width);
        double var = 0.0;
#pragma unroll
        for (int k = 0; k < LONGLM_NORM_HELD; k++) {
            int c = threadIdx.x + k * blockDim.x;
            float d = __fsub_rn(v[k], mean);
            var += c < width ? (double) __fmul_rn(d, d) : 0.0;
        }
        float inv = inverse_rms(block_sum(var, scratch), width, eps);
#pragma unroll
        for (int k = 0; k < LONGLM_NORM_HELD; k++) {
            int c = threadIdx.x + k * blockDim.x;
            if (c < width) {
                float y = __fmul_rn(__fmul_rn(__fsub_rn(v[k], mean), inv), g[k]);
                o[c] = b != nullptr ? __fadd_rn(y, h[k]) : y;
            }
        }
        return;
    }
    double sum = 0.0;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        sum += (double) xr[c];
    }
    float mean = (float) (block_sum(sum, scratch) / width);
    double var = 0.0;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        float d = __fsub_rn(xr[c], mean);
        var += (double) __fmul_rn(d, d);
    }
    float inv = inverse_rms(block_sum(var, scratch), width, eps);
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        float y = __fmul_rn(__fmul_rn(__fsub_rn(xr[c], mean), inv), w[c]);
        o[c] = b != nullptr ? __fadd_rn(y, b[c]) : y;
    }
}

/** silu(x) = x / (1 + exp(−x)), the exponential in double as the CPU's (float) Math.exp(-x). */
static __device__ __forceinline__ float silu(float x) {
    return __fdiv_rn(x, __fadd_rn(1.0f, (float) exp(-(double) x)));
}

/**
 * GELU as model/Gelu.java: the tanh approximation of the input rounded to f16, the result rounded
 * to f16 (llama.cpp's table), inputs beyond ±10 passed through.
 */
static __device__ __forceinline__ float gelu_value(float x) {
    if (x <= -10.0f) {
        return 0.0f;
    }
    if (x >= 10.0f) {
        return x;
    }
    float h = f16_to_f32(f32_to_f16(x));
    float inner = __fmul_rn(__fmul_rn(0.7978845608f, h), __fadd_rn(1.0f, __fmul_rn(__fmul_rn(0.044715f, h), h)));
    float t = (float) tanh((double) inner);
    float g = __fmul_rn(__fmul_rn(0.5f, h), __fadd_rn(1.0f, t));
    return f16_to_f32(f32_to_f16(g));
}

/** up = up · silu(gate). */
extern "C" __global__ void swiglu(const float* gate, float* up, long long n) {
    LONGLM_GRID_STRIDE(i, n) {
        up[i] = __fmul_rn(up[i], silu(gate[i]));
    }
}

/** up = up · gelu(gate). */
extern "C" __global__ void geglu(const float* gate, float* up, long long n) {
    LONGLM_GRID_STRIDE(i, n) {
        up[i] = __fmul_rn(up[i], gelu_value(gate[i]));
    }
}

/** x = gelu(x) (the spec's `gelu`; named so that it does not clash with the device function). */
extern "C" __global__ void gelu_inplace(float* x, long long n) {
    LONGLM_GRID_STRIDE(i, n) {
        x[i] = gelu_value(x[i]);
    }
}

/** x = cap · tanh(x / cap) (Gemma 2's final soft-cap), tanh in double as the CPU's. */
extern "C" __global__ void soft_cap(float* x, long long n, float cap) {
    LONGLM_GRID_STRIDE(i, n) {
        x[i] = __fmul_rn(cap, (float) tanh((double) __fdiv_rn(x[i], cap)));
    }
}
