// Shared helpers: constants, aligned vector types, warp and block reductions, bf16 bits.
// No #include anywhere: NVRTC compiles these files without system headers.

#define LONGLM_INT_MAX 2147483647
#define LONGLM_NEG_INF (__int_as_float(0xff800000))
#define LONGLM_LOG2E 1.4426950408889634f

struct alignas(16) u32x4 {
    unsigned x, y, z, w;
};
struct alignas(8) u32x2 {
    unsigned x, y;
};
struct alignas(16) f32x4 {
    float x, y, z, w;
};
struct alignas(8) f32x2 {
    float x, y;
};

static __device__ __forceinline__ int imin(int a, int b) { return a < b ? a : b; }
static __device__ __forceinline__ int imax(int a, int b) { return a > b ? a : b; }

static __device__ __forceinline__ float bf16_to_f32(unsigned short h) {
    return __uint_as_float((unsigned) h << 16);
}

/** Round to nearest even, NaN kept quiet: ggml's GGML_FP32_TO_BF16 (and our HalfFloat.f32ToBf16). */
static __device__ __forceinline__ unsigned short f32_to_bf16(float f) {
    unsigned bits = __float_as_uint(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
        return (unsigned short) ((bits >> 16) | 64u);
    }
    return (unsigned short) ((bits + (0x7fffu + ((bits >> 16) & 1u))) >> 16);
}

template <typename T>
static __device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
    for (int m = 16; m > 0; m >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, m);
    }
    return v;
}

static __device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int m = 16; m > 0; m >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, m));
    }
    return v;
}

/**
 * Sum over the whole block (blockDim.x a multiple of 32, at most 1024); every thread gets the
 * result. {@code scratch} holds 32 values; the call ends with a barrier, so it may be reused at once.
 */
template <typename T>
static __device__ __forceinline__ T block_sum(T v, T* scratch) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int warps = blockDim.x >> 5;
    v = warp_sum(v);
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    T total = lane < warps ? scratch[lane] : (T) 0;
    total = warp_sum(total);
    __syncthreads();
    return total;
}

/** Little-endian loads at the alignment the ggml block formats guarantee (a row start is 2-byte aligned). */
static __device__ __forceinline__ unsigned load_u16(const unsigned char* p) {
    return *(const unsigned short*) p;
}

static __device__ __forceinline__ unsigned load_u32_a2(const unsigned char* p) {
    const unsigned short* h = (const unsigned short*) p;
    return (unsigned) h[0] | ((unsigned) h[1] << 16);
}

static __device__ __forceinline__ unsigned load_u32_a4(const unsigned char* p) {
    return *(const unsigned*) p;
}
