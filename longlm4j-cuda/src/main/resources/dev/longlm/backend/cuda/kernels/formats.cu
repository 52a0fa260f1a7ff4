// ggml block formats: how 8 consecutive values of a block are dequantized, bit-exact with ggml's
// dequantize_row_* (and the CPU backend's *Matrix.dequantizeRow). Products and sums are written with
// __fmul_rn/__fadd_rn/__fsub_rn so the compiler never contracts them into an FMA, which would round
// differently from ggml's separate multiply and add.
//
// Each format is a struct with VALUES (values per block), BYTES (bytes per block) and
//   dequant8(block, v0, out): values v0 … v0+7 of the block (v0 a multiple of 8, inside the block).
// Formats of one value per block (F32, F16, BF16) read 8 consecutive blocks, and also have
//   dequant1(block) for a row tail that is not a multiple of 8.
// Loads assume only 2-byte alignment (ggml blocks of 18, 34, 210 … bytes sit at any even offset).

static __device__ __forceinline__ int kquant_scale(const unsigned char* s, int j) {
    return j < 4 ? s[j] & 63 : (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
}

static __device__ __forceinline__ int kquant_min(const unsigned char* s, int j) {
    return j < 4 ? s[j + 4] & 63 : (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
}

struct TypeF32 {
    static constexpr int VALUES = 1;
    static constexpr int BYTES = 4;
    static __device__ __forceinline__ float dequant1(const unsigned char* b) {
        return __uint_as_float(load_u32_a2(b));
    }
    /** 8 values from a 16-byte aligned address. */
    static __device__ __forceinline__ void dequant8_aligned(const unsigned char* b, float* out) {
        u32x4 a = ((const u32x4*) b)[0];
        u32x4 c = ((const u32x4*) b)[1];
        out[0] = __uint_as_float(a.x); out[1] = __uint_as_float(a.y); out[2] = __uint_as_float(a.z); out[3] = __uint_as_float(a.w);
        out[4] = __uint_as_float(c.x); out[5] = __uint_as_float(c.y); out[6] = __uint_as_float(c.z); out[7] = __uint_as_float(c.w);
    }
    static __device__ __forceinline__ void dequant8(const unsigned char* b, int, float* out) {
#pragma unroll
        for (int k = 0; k < 8; k++) {
            out[k] = dequant1(b + 4 * k);
        }
    }
};

struct TypeF16 {
    static constexpr int VALUES = 1;
    static constexpr int BYTES = 2;
    static __device__ __forceinline__ float dequant1(const unsigned char* b) {
        return f16_to_f32((unsigned short) load_u16(b));
    }
    static __device__ __forceinline__ void dequant8_aligned(const unsigned char* b, float* out) {
        u32x4 a = *(const u32x4*) b;
        unsigned w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
        for (int k = 0; k < 4; k++) {
            out[2 * k] = f16_to_f32((unsigned short) (w[k] & 0xffff));
            out[2 * k + 1] = f16_to_f32((unsigned short) (w[k] >> 16));
        }
    }
    static __device__ __forceinline__ void dequant8(const unsigned char* b, int, float* out) {
#pragma unroll
        for (int k = 0; k < 8; k++) {
            out[k] = dequant1(b + 2 * k);
        }
    }
};

struct TypeBF16 {
    static constexpr int VALUES = 1;
    static constexpr int BYTES = 2;
    static __device__ __forceinline__ float dequant1(const unsigned char* b) {
        return bf16_to_f32((unsigned short) load_u16(b));
    }
    static __device__ __forceinline__ void dequant8_aligned(const unsigned char* b, float* out) {
        u32x4 a = *(const u32x4*) b;
        unsigned w[4] = {a.x, a.y, a.z, a.w};
#pragma unroll
        for (int k = 0; k < 4; k++) {
            out[2 * k] = __uint_as_float(w[k] << 16);
            out[2 * k + 1] = __uint_as_float(w[k] & 0xffff0000u);
        }
    }
    static __device__ __forceinline__ void dequant8(const unsigned char* b, int, float* out) {
#pragma unroll
        for (int k = 0; k < 8; k++) {
            out[k] = dequant1(b + 2 * k);
        }
    }
};

/** Q8_0: f16 d, 32 signed bytes; value = q·d. */
struct TypeQ8_0 {
    static constexpr int VALUES = 32;
    static constexpr int BYTES = 34;
    static __device__ __forceinline__ void dequant8(const unsigned char* b, int v0, float* out) {
        float d = f16_to_f32((unsigned short) load_u16(b));
        const signed char* q = (const signed char*) (b + 2 + v0);
#pragma unroll
        for (int k = 0; k < 8; k++) {
            out[k] = __fmul_rn((float) q[k], d);
        }
    }
};

/**
 * Q4_0, Q4_1, Q5_0, Q5_1 (32 values): f16 d, [f16 m,] [32 fifth bits,] 16 bytes of nibbles (low
 * nibbles values 0-15, high 16-31; fifth bit j of qh belongs to value j). Without a min the level is
 * centred (q − 8, or q5 − 16) and value = level·d; with one, value = q·d + m.
 */
template <int BLOCK_BYTES, int QS, int QH, bool HAS_MIN>
struct TypeLegacy {
    static constexpr int VALUES = 32;
    static constexpr int BYTES = BLOCK_BYTES;
    static __device__ __forceinline__ void dequant8(const unsigned char* b, int v0, float* out) {
        float d = f16_to_f32((unsigned short) load_u16(b));
        float m = HAS_MIN ? f16_to_f32((unsigned short) load_u16(b + 2)) : 0.0f;
        unsigned qh = QH > 0 ? load_u32_a2(b + QH) : 0u;
        const int offset = HAS_MIN ? 0 : (QH > 0 ? 16 : 8);
        const unsigned char* qs = b + QS + (v0 & 15);
        int shift = v0 >= 16 ? 4 : 0;
#pragma unroll
        for (int k = 0; k < 8; k++) {
            int q = ((qs[k] >> shift) & 0xF) | (((qh >> (v0 + k)) & 1) << 4);
            if (HAS_MIN) {
                out[k] = __fadd_rn(__fmul_rn((float) q, d), m);
            } else {
                out[k] = __fmul_rn((float) (q - offset), d);
            }
        }
    }
};
typedef TypeLegacy<18, 2, 0, false> TypeQ4_0;
typedef TypeLegacy<20, 4, 0, true> TypeQ4_1;
typedef TypeLegacy<22, 6, 2, false> TypeQ5_0;
typedef TypeLegacy<24, 8, 4, true> TypeQ5_1;

/**
 * Q4_K and Q5_K (256 values): f16 d, f16 dmin, 12 bytes of 6-bit (scale, min) pairs for 8
 * sub-blocks of 32, [32 bytes of fifth bits: bit `sub` of byte l belongs to value l of sub-block
 * `sub`,] 128 bytes of nibbles: bytes 32j … 32j+31 hold sub-block 2j in their low and 2j+1 in their
 * high nibbles. value = (d·scale)·q − (dmin·min).
 */
template <int BLOCK_BYTES, bool FIFTH>
struct TypeK {
    static constexpr int VALUES = 256;
    static constexpr int BYTES = BLOCK_BYTES;
    static __device__ __forceinline__ void dequant8(const unsigned char* b, int v0, float* out) {
        float d = f16_to_f32((unsigned short) load_u16(b));
        float dmin = f16_to_f32((unsigned short) load_u16(b + 2));
        int sub = v0 / 32;
        int pair = v0 / 64;
        int l = v0 & 31;
        float scale = __fmul_rn(d, (float) kquant_scale(b + 4, sub));
        float min = __fmul_rn(dmin, (float) kquant_min(b + 4, sub));
        const unsigned char* qh = b + 16 + l;
        const unsigned char* qs = b + (FIFTH ? 48 : 16) + 32 * pair + l;
        int shift = (sub & 1) ? 4 : 0;
#pragma unroll
        for (int k = 0; k < 8; k++) {
            int q = (qs[k] >> shift) & 0xF;
            if (FIFTH) {
                q |= ((qh[k] >> sub) & 1) << 4;
            }
            out[k] = __fsub_rn(__fmul_rn(scale, (float) q), min);
        }
    }
};
typedef TypeK<144, false> TypeQ4_K;
typedef TypeK<176, true> TypeQ5_K;

/**
 * Q6_K: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 signed scales (one per 16 values),
 * f16 d last. In half h (values 128h …), position l < 32: ql[64h + l] low nibble is value l, ql[64h+32+l]
 * low nibble value l+32, their high nibbles values l+64 and l+96; qh[32h + l] bits 0-1, 2-3, 4-5, 6-7
 * are the high bits of those four. value = (d·scale)·(q6 − 32).
 */
struct TypeQ6_K {
    static constexpr int VALUES = 256;
    static constexpr int BYTES = 210;
    static __device__ __forceinline__ void dequant8(const unsigned char* b, int v0, float* out) {
        float d = f16_to_f32((unsigned short) load_u16(b + 208));
        int half = v0 / 128;
        int quarter = (v0 & 127) / 32;
        int l = v0 & 31;
        const unsigned char* ql = b + 64 * half + (quarter & 1) * 32 + l;
        const unsigned char* qh = b + 128 + 32 * half + l;
        const signed char* sc = (const signed char*) (b + 192 + 8 * half);
        float scale = __fmul_rn(d, (float) sc[l / 16 + 2 * quarter]);
        int lowShift = quarter >= 2 ? 4 : 0;
        int highShift = 2 * quarter;
#pragma unroll
        for (int k = 0; k < 8; k++) {
            int q = ((ql[k] >> lowShift) & 0xF) | (((qh[k] >> highShift) & 3) << 4);
            out[k] = __fmul_rn(scale, (float) (q - 32));
        }
    }
};

/** Value {@code c} of a row when it is not in a full group of 8 (only formats of one value per block have such tails). */
template <typename F>
static __device__ __forceinline__ float dequant_tail(const unsigned char* row, int c) {
    if constexpr (F::VALUES == 1) {
        return F::dequant1(row + (long long) c * F::BYTES);
    } else {
        return 0.0f; // unreachable: cols is a multiple of the block size, itself a multiple of 8
    }
}

/** Values c0 … c0+7 of a row (c0 a multiple of 8, c0+8 ≤ cols). */
template <typename F>
static __device__ __forceinline__ void dequant_row8(const unsigned char* row, int c0, float* out) {
    F::dequant8(row + (long long) (c0 / F::VALUES) * F::BYTES, c0 % F::VALUES, out);
}

// One line per format for the extern "C" instantiations: X(suffix, format struct).
#define LONGLM_QUANT_TYPES(X) \
    X(q8_0, TypeQ8_0) X(q4_0, TypeQ4_0) X(q4_1, TypeQ4_1) X(q5_0, TypeQ5_0) X(q5_1, TypeQ5_1) \
    X(q4_k, TypeQ4_K) X(q5_k, TypeQ5_K) X(q6_k, TypeQ6_K)
#define LONGLM_ALL_TYPES(X) X(f32, TypeF32) X(f16, TypeF16) X(bf16, TypeBF16) LONGLM_QUANT_TYPES(X)
