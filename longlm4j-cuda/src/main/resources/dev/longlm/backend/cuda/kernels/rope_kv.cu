// RoPE (attention/Rope.rotate), KV-cache and window-ring stores, re-rotation of cached keys.
// Cache element types: F16 (unsigned short holding IEEE half, rounded to nearest even) or F32.

static __device__ __forceinline__ float load_elem(const float* p) { return *p; }
static __device__ __forceinline__ float load_elem(const unsigned short* p) { return f16_to_f32(*p); }
static __device__ __forceinline__ void store_elem(float* p, float v) { *p = v; }
static __device__ __forceinline__ void store_elem(unsigned short* p, float v) { *p = f32_to_f16(v); }

/** cos and sin of angle (double), rounded to float and multiplied by magnitude, as Rope.rotate. */
static __device__ __forceinline__ void rope_cos_sin(double angle, float magnitude, float* c, float* s) {
    double sd, cd;
    sincos(angle, &sd, &cd);
    *c = __fmul_rn((float) cd, magnitude);
    *s = __fmul_rn((float) sd, magnitude);
}

/** Components (a, b) of rotation pair k: adjacent (2k, 2k+1) or NeoX (k, k + rotaryDims/2). */
static __device__ __forceinline__ void rope_pair(int k, int rotaryDims, int neox, int* a, int* b) {
    if (neox) {
        *a = k;
        *b = k + rotaryDims / 2;
    } else {
        *a = 2 * k;
        *b = 2 * k + 1;
    }
}

/**
 * Row i (heads consecutive head vectors at src + i·srcRowStride) rotated to positions[i] into
 * dst + i·dstRowStride; components ≥ rotaryDims copied. One block per row; in place allowed.
 */
extern "C" __global__ void rope(const float* src, float* dst, int rows, int heads, int headDim, int rotaryDims, int neox,
                                const double* positions, const double* invFreq, float magnitude, long long srcRowStride,
                                long long dstRowStride) {
    int i = blockIdx.x;
    if (i >= rows) {
        return;
    }
    const float* s = src + (long long) i * srcRowStride;
    float* d = dst + (long long) i * dstRowStride;
    double position = positions[i];
    int half = rotaryDims / 2;
    for (int k = threadIdx.x; k < half; k += blockDim.x) {
        float c, sn;
        rope_cos_sin(position * invFreq[k], magnitude, &c, &sn);
        int a, b;
        rope_pair(k, rotaryDims, neox, &a, &b);
        for (int h = 0; h < heads; h++) {
            float x0 = s[h * headDim + a];
            float x1 = s[h * headDim + b];
            d[h * headDim + a] = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, sn));
            d[h * headDim + b] = __fadd_rn(__fmul_rn(x0, sn), __fmul_rn(x1, c));
        }
    }
    int pass = headDim - rotaryDims;
    if (pass > 0 && s != d) {
        for (int e = threadIdx.x; e < heads * pass; e += blockDim.x) {
            int h = e / pass;
            int c = rotaryDims + e % pass;
            d[h * headDim + c] = s[h * headDim + c];
        }
    }
}

/**
 * The cached key at position from+i of every KV head rotated in place by deltas[i] (a RoPE rotation
 * by a position difference; 0 leaves it as it is). One block per position.
 */
template <typename T>
static __device__ __forceinline__ void rotate_cached_keys_impl(T* K, long long capacity, int kvHeads, int headDim,
                                                               int rotaryDims, int neox, int from, int count,
                                                               const double* deltas, const double* invFreq, float magnitude) {
    int i = blockIdx.x;
    if (i >= count) {
        return;
    }
    double delta = deltas[i];
    if (delta == 0.0) {
        return;
    }
    int half = rotaryDims / 2;
    for (int k = threadIdx.x; k < half; k += blockDim.x) {
        float c, sn;
        rope_cos_sin(delta * invFreq[k], magnitude, &c, &sn);
        int a, b;
        rope_pair(k, rotaryDims, neox, &a, &b);
        for (int h = 0; h < kvHeads; h++) {
            T* key = K + ((long long) h * capacity + from + i) * headDim;
            float x0 = load_elem(key + a);
            float x1 = load_elem(key + b);
            store_elem(key + a, __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, sn)));
            store_elem(key + b, __fadd_rn(__fmul_rn(x0, sn), __fmul_rn(x1, c)));
        }
    }
}

/** Row i (kvHeads·headDim floats, heads consecutive) to cache positions start+i, head-major. One block per row. */
template <typename T>
static __device__ __forceinline__ void store_kv_impl(const float* src, T* cache, int n, int kvHeads, int headDim,
                                                     long long capacity, int start, long long srcRowStride) {
    int i = blockIdx.x;
    if (i >= n) {
        return;
    }
    const float* s = src + (long long) i * srcRowStride;
    for (int e = threadIdx.x; e < kvHeads * headDim; e += blockDim.x) {
        int h = e / headDim;
        int d = e - h * headDim;
        store_elem(cache + ((long long) h * capacity + start + i) * headDim + d, s[e]);
    }
}

/**
 * Row i to ring slot (firstPosition + i) % ringSlots. Only the last ringSlots rows are written (an
 * earlier row's slot is taken by a later one), so blocks never race. One block per row.
 */
template <typename T>
static __device__ __forceinline__ void store_ring_impl(const float* src, T* ring, int n, int kvHeads, int headDim,
                                                       int ringSlots, int firstPosition, long long srcRowStride) {
    int i = blockIdx.x;
    if (i >= n || i < n - ringSlots) {
        return;
    }
    int slot = (int) (((long long) firstPosition + i) % ringSlots);
    const float* s = src + (long long) i * srcRowStride;
    for (int e = threadIdx.x; e < kvHeads * headDim; e += blockDim.x) {
        int h = e / headDim;
        int d = e - h * headDim;
        store_elem(ring + ((long long) h * ringSlots + slot) * headDim + d, s[e]);
    }
}

#define LONGLM_KV_KERNELS(suffix, T) \
    extern "C" __global__ void rotate_cached_keys_##suffix(T* K, long long capacity, int kvHeads, int headDim, int rotaryDims, \
                                                           int neox, int from, int count, const double* deltas, \
                                                           const double* invFreq, float magnitude) { \
        rotate_cached_keys_impl<T>(K, capacity, kvHeads, headDim, rotaryDims, neox, from, count, deltas, invFreq, magnitude); \
    } \
    extern "C" __global__ void store_kv_##suffix(const float* src, T* cache, int n, int kvHeads, int headDim, long long capacity, \
                                                 int start, long long srcRowStride) { \
        store_kv_impl<T>(src, cache, n, kvHeads, headDim, capacity, start, srcRowStride); \
    } \
    extern "C" __global__ void store_ring_##suffix(const float* src, T* ring, int n, int kvHeads, int headDim, int ringSlots, \
                                                   int firstPosition, long long srcRowStride) { \
        store_ring_impl<T>(src, ring, n, kvHeads, headDim, ringSlots, firstPosition, srcRowStride); \
    }
LONGLM_KV_KERNELS(f16, unsigned short)
LONGLM_KV_KERNELS(f32, float)
