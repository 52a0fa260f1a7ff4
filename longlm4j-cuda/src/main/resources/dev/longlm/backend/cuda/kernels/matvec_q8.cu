// Matrix × vector for the quantized formats against 8-bit activations, with dp4a:
//   quantize_q8 rounds each input row to blocks of 32 signed bytes with a float scale d and the
//   block's d·Σq (ggml's Q8_1 layout, split in two arrays), once per layer input;
//   matvec_q8_<type> sums integer products of weight levels and activation levels per block and
//   scales once per block, so the inner loop is one mask and one dp4a per 4 weights.
// The result differs from the float path (matvec.cu) by the 8-bit rounding of x, as ggml's CPU
// and CUDA backends do for these formats.

/** One warp per 32-value block; grid (cols / 128 rounded up, n), block 128; cols a multiple of 32. */
extern "C" __global__ void __launch_bounds__(128) quantize_q8(const float* x, signed char* xq, float* xds, int cols, int n) {
    int i = blockIdx.y;
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || c >= cols) {
        return; // whole warps: cols is a multiple of 32
    }
    float v = x[(long long) i * cols + c];
    float amax = warp_max(fabsf(v));
    float d = amax / 127.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    int q = (int) roundf(v * id);
    xq[(long long) i * cols + c] = (signed char) q;
    int sum = warp_sum(q);
    if ((threadIdx.x & 31) == 0) {
        long long b = (long long) i * (cols / 32) + c / 32;
        xds[2 * b] = d;
        xds[2 * b + 1] = d * (float) sum;
    }
}

/** The 8 words (32 levels) of activation block {@code xb} of input row {@code i}. */
static __device__ __forceinline__ void load_q8_block(const signed char* xq, long long rowOffset, int xb, int* v) {
    const u32x4* p = (const u32x4*) (xq + rowOffset + (long long) xb * 32);
    u32x4 a = p[0];
    u32x4 b = p[1];
    v[0] = (int) a.x; v[1] = (int) a.y; v[2] = (int) a.z; v[3] = (int) a.w;
    v[4] = (int) b.x; v[5] = (int) b.y; v[6] = (int) b.z; v[7] = (int) b.w;
}

/** Spreads 4 bits of {@code h} to bit 4 of each byte (the fifth bits of Q5_0/Q5_1). */
static __device__ __forceinline__ unsigned fifth_bits(unsigned h) {
    return ((h & 1u) << 4) | ((h & 2u) << 11) | ((h & 4u) << 18) | ((h & 8u) << 25);
}

// Per format: LANES, the consecutive lanes that share one of its blocks (each reads its own
// consecutive words of the block, so a warp's loads cover a few whole blocks back to back and no
// byte is fetched twice), and accumulate<N>(row, block, part, …) adding the products of part
// `part` (0 … LANES−1) of that block with the N input rows to acc. A warp covers 32 / LANES
// consecutive blocks per step.

/** Q8_0: two lanes per block, 16 levels each (blocks of 34 bytes: 2-byte loads). */
struct DotQ8_0 {
    static constexpr int VALUES = 32;
    static constexpr int LANES = 2;
    template <int N>
    static __device__ __forceinline__ void accumulate(const unsigned char* row, int blk, int part, const signed char* xq,
                                                      const float* xds, int cols, float* acc) {
        const unsigned char* b = row + (long long) blk * 34;
        float d = f16_to_f32((unsigned short) load_u16(b));
        int w[4];
#pragma unroll
        for (int k = 0; k < 4; k++) {
            w[k] = (int) load_u32_a2(b + 2 + 16 * part + 4 * k);
        }
#pragma unroll
        for (int i = 0; i < N; i++) {
            u32x4 xa = *(const u32x4*) (xq + (long long) i * cols + (long long) blk * 32 + 16 * part);
            int s = __dp4a(w[0], (int) xa.x, 0);
            s = __dp4a(w[1], (int) xa.y, s);
            s = __dp4a(w[2], (int) xa.z, s);
            s = __dp4a(w[3], (int) xa.w, s);
            acc[i] += d * xds[2 * ((long long) i * (cols / 32) + blk)] * (float) s;
        }
    }
};

/** Q4_0, Q4_1, Q5_0, Q5_1: one lane per block; levels as unsigned bytes, the offset folded into d·Σa. */
template <int BYTES, int QS, int QH, bool HAS_MIN>
struct DotLegacy4 {
    static constexpr int VALUES = 32;
    static constexpr int LANES = 1;
    template <int N>
    static __device__ __forceinline__ void accumulate(const unsigned char* row, int u, int, const signed char* xq,
                                                      const float* xds, int cols, float* acc) {
        const unsigned char* b = row + (long long) u * BYTES;
        float d = f16_to_f32((unsigned short) load_u16(b));
        float m = HAS_MIN ? f16_to_f32((unsigned short) load_u16(b + 2)) : 0.0f;
        unsigned qh = QH > 0 ? load_u32_a2(b + QH) : 0u;
        int lo[4], hi[4];
#pragma unroll
        for (int k = 0; k < 4; k++) {
            unsigned q = load_u32_a2(b + QS + 4 * k);
            lo[k] = (int) (q & 0x0f0f0f0fu);
            hi[k] = (int) ((q >> 4) & 0x0f0f0f0fu);
            if (QH > 0) {
                lo[k] |= (int) fifth_bits(qh >> (4 * k));
                hi[k] |= (int) fifth_bits(qh >> (16 + 4 * k));
            }
        }
        // levels q (0 … 15 or 0 … 31) against the q − offset the format means
        const float offset = HAS_MIN ? 0.0f : (QH > 0 ? 16.0f : 8.0f);
#pragma unroll
        for (int i = 0; i < N; i++) {
            int xv[8];
            load_q8_block(xq, (long long) i * cols, u, xv);
            int s = 0;
#pragma unroll
            for (int k = 0; k < 4; k++) {
                s = __dp4a(lo[k], xv[k], s);
                s = __dp4a(hi[k], xv[k + 4], s);
            }
            long long xb = (long long) i * (cols / 32) + u;
            float dx = xds[2 * xb];
            float sx = xds[2 * xb + 1];
            if (HAS_MIN) {
                acc[i] += d * dx * (float) s + m * sx;
            } else {
                acc[i] += d * (dx * (float) s - offset * sx);
            }
        }
    }
};
typedef DotLegacy4<18, 2, 0, false> DotQ4_0;
typedef DotLegacy4<20, 4, 0, true> DotQ4_1;
typedef DotLegacy4<22, 6, 2, false> DotQ5_0;
typedef DotLegacy4<24, 8, 4, true> DotQ5_1;

/**
 * Scale and min of sub-blocks 2j and 2j+1 of a Q4_K/Q5_K super-block from its 12 scale bytes read
 * as three words s0, s1, s2: sub-block `sub` uses byte sub & 3 of each word (ggml's get_scale_min_k4).
 */
static __device__ __forceinline__ void kquant_scale_min_words(unsigned s0, unsigned s1, unsigned s2, int sub, float* scale,
                                                              float* min) {
    int shift = 8 * (sub & 3);
    unsigned b0 = (s0 >> shift) & 0xffu, b1 = (s1 >> shift) & 0xffu, b2 = (s2 >> shift) & 0xffu;
    if (sub < 4) {
        *scale = (float) (b0 & 63u);
        *min = (float) (b1 & 63u);
    } else {
        *scale = (float) ((b2 & 0xFu) | ((b0 >> 6) << 4));
        *min = (float) ((b2 >> 4) | ((b1 >> 6) << 4));
    }
}

/**
 * Q4_K and Q5_K: eight lanes per super-block. Lane part p reads 16 consecutive nibble bytes,
 * bytes 16p … 16p+15 of the 128: positions l0 = 16(p mod 2) … l0+15 of sub-block 2j (low nibbles)
 * and 2j+1 (high nibbles), j = p / 2; Q5_K adds the same 16 bytes of fifth bits. Blocks of 144 and
 * 176 bytes keep 16-byte alignment when the tensor starts 16-byte aligned, so these are 16-byte loads.
 * The min term d_min·m·Σx needs the whole sub-block's Σx (xds): the lane of the first half adds it.
 */
template <int BYTES, bool FIFTH>
struct DotK4 {
    static constexpr int VALUES = 256;
    static constexpr int LANES = 8;
    template <int N>
    static __device__ __forceinline__ void accumulate(const unsigned char* row, int sb, int part, const signed char* xq,
                                                      const float* xds, int cols, float* acc) {
        int j = part >> 1;
        int l0 = (part & 1) * 16;
        const unsigned char* b = row + (long long) sb * BYTES;
        unsigned dd = load_u32_a4(b);
        float d = f16_to_f32((unsigned short) (dd & 0xffff));
        float dmin = f16_to_f32((unsigned short) (dd >> 16));
        unsigned s0 = load_u32_a4(b + 4), s1 = load_u32_a4(b + 8), s2 = load_u32_a4(b + 12);
        float sc0, m0, sc1, m1;
        kquant_scale_min_words(s0, s1, s2, 2 * j, &sc0, &m0);
        kquant_scale_min_words(s0, s1, s2, 2 * j + 1, &sc1, &m1);
        u32x4 qa = *(const u32x4*) (b + (FIFTH ? 48 : 16) + 32 * j + l0);
        unsigned q[4] = {qa.x, qa.y, qa.z, qa.w};
        int lo[4], hi[4];
#pragma unroll
        for (int k = 0; k < 4; k++) {
            lo[k] = (int) (q[k] & 0x0f0f0f0fu);
            hi[k] = (int) ((q[k] >> 4) & 0x0f0f0f0fu);
        }
        if (FIFTH) {
            u32x4 ha = *(const u32x4*) (b + 16 + l0);
            unsigned h[4] = {ha.x, ha.y, ha.z, ha.w};
#pragma unroll
            for (int k = 0; k < 4; k++) {
                lo[k] |= (int) (((h[k] >> (2 * j)) & 0x01010101u) << 4);
                hi[k] |= (int) (((h[k] >> (2 * j + 1)) & 0x01010101u) << 4);
            }
        }
        int xb0 = sb * 8 + 2 * j;
        bool addsMin = l0 == 0;
#pragma unroll
        for (int i = 0; i < N; i++) {
            const signed char* xp = xq + (long long) i * cols + (long long) xb0 * 32 + l0;
            u32x4 xa = *(const u32x4*) xp;
            u32x4 xc = *(const u32x4*) (xp + 32);
            int s0 = __dp4a(lo[0], (int) xa.x, 0);
            s0 = __dp4a(lo[1], (int) xa.y, s0);
            s0 = __dp4a(lo[2], (int) xa.z, s0);
            s0 = __dp4a(lo[3], (int) xa.w, s0);
            int s1 = __dp4a(hi[0], (int) xc.x, 0);
            s1 = __dp4a(hi[1], (int) xc.y, s1);
            s1 = __dp4a(hi[2], (int) xc.z, s1);
            s1 = __dp4a(hi[3], (int) xc.w, s1);
            f32x4 ds = *(const f32x4*) (xds + 2 * ((long long) i * (cols / 32) + xb0)); // (d, d·Σq) of blocks 2j, 2j+1
            float v = d * (sc0 * ds.x * (float) s0 + sc1 * ds.z * (float) s1);
            if (addsMin) {
                v -= dmin * (m0 * ds.y + m1 * ds.w);
            }
            acc[i] += v;
        }
    }
};
typedef DotK4<144, false> DotQ4_K;
typedef DotK4<176, true> DotQ5_K;

/**
 * Q6_K: eight lanes per super-block. Lane part p takes half h = p / 4 and positions l0 = 8(p mod 4)
 * … l0+7 of it: 8 bytes of each of the half's two low-nibble runs and of its high bits give the four
 * quarters' values there, each quarter with its own scale and activation block. Blocks of 210 bytes:
 * 2-byte loads. The levels are used unsigned (0 … 63) and 32·Σx subtracted per quarter.
 */
struct DotQ6_K {
    static constexpr int VALUES = 256;
    static constexpr int LANES = 8;
    template <int N>
    static __device__ __forceinline__ void accumulate(const unsigned char* row, int sb, int part, const signed char* xq,
                                                      const float* xds, int cols, float* acc) {
        int half = part >> 2;
        int l0 = (part & 3) * 8;
        const unsigned char* b = row + (long long) sb * 210;
        float d = f16_to_f32((unsigned short) load_u16(b + 208));
        const signed char* sc = (const signed char*) (b + 192 + 8 * half + l0 / 16);
        int q[4][2];
#pragma unroll
        for (int k = 0; k < 2; k++) {
            unsigned a = load_u32_a2(b + 64 * half + l0 + 4 * k);
            unsigned c = load_u32_a2(b + 64 * half + 32 + l0 + 4 * k);
            unsigned h = load_u32_a2(b + 128 + 32 * half + l0 + 4 * k);
            q[0][k] = (int) ((a & 0x0f0f0f0fu) | ((h & 0x03030303u) << 4));
            q[1][k] = (int) ((c & 0x0f0f0f0fu) | (((h >> 2) & 0x03030303u) << 4));
            q[2][k] = (int) (((a >> 4) & 0x0f0f0f0fu) | (((h >> 4) & 0x03030303u) << 4));
            q[3][k] = (int) (((c >> 4) & 0x0f0f0f0fu) | (((h >> 6) & 0x03030303u) << 4));
        }
        float scale[4];
#pragma unroll
        for (int qq = 0; qq < 4; qq++) {
            scale[qq] = (float) sc[2 * qq];
        }
#pragma unroll
        for (int i = 0; i < N; i++) {
            long long rowOffset = (long long) i * cols;
            float sum = 0.0f;
#pragma unroll
            for (int qq = 0; qq < 4; qq++) {
                int xb = sb * 8 + 4 * half + qq;
                u32x2 xa = *(const u32x2*) (xq + rowOffset + (long long) xb * 32 + l0);
                int s = __dp4a(q[qq][0], (int) xa.x, 0);
                s = __dp4a(q[qq][1], (int) xa.y, s);
                int xs = __dp4a(0x01010101, (int) xa.x, 0);
                xs = __dp4a(0x01010101, (int) xa.y, xs);
                sum += scale[qq] * xds[2 * ((long long) i * (cols / 32) + xb)] * (float) (s - 32 * xs);
            }
            acc[i] += d * sum;
        }
    }
};

template <typename D, int N>
static __device__ __forceinline__ void matvec_q8_warp(const unsigned char* W, const signed char* xq, const float* xds, float* y,
                                                      int rows, int cols, long long rowBytes) {
    int lane = threadIdx.x & 31;
    int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= rows) {
        return;
    }
    const unsigned char* row = W + (long long) r * rowBytes;
    float acc[N];
#pragma unroll
    for (int i = 0; i < N; i++) {
        acc[i] = 0.0f;
    }
    // consecutive lanes read consecutive words of the same blocks: every load of the warp is coalesced
    int part = lane % D::LANES;
    int blocks = cols / D::VALUES;
#pragma unroll(N <= 2 ? 4 : 2)
    for (int blk = lane / D::LANES; blk < blocks; blk += 32 / D::LANES) {
        D::template accumulate<N>(row, blk, part, xq, xds, cols, acc);
    }
#pragma unroll
    for (int i = 0; i < N; i++) {
        float s = warp_sum(acc[i]);
        if (lane == i) {
            y[(long long) i * rows + r] = s;
        }
    }
}

template <typename D>
static __device__ __forceinline__ void matvec_q8_impl(const unsigned char* W, const signed char* xq, const float* xds, float* y,
                                                      int rows, int cols, long long rowBytes, int n) {
    switch (n) {
        case 1: matvec_q8_warp<D, 1>(W, xq, xds, y, rows, cols, rowBytes); break;
        case 2: matvec_q8_warp<D, 2>(W, xq, xds, y, rows, cols, rowBytes); break;
        case 3: matvec_q8_warp<D, 3>(W, xq, xds, y, rows, cols, rowBytes); break;
        case 4: matvec_q8_warp<D, 4>(W, xq, xds, y, rows, cols, rowBytes); break;
        case 5: matvec_q8_warp<D, 5>(W, xq, xds, y, rows, cols, rowBytes); break;
        case 6: matvec_q8_warp<D, 6>(W, xq, xds, y, rows, cols, rowBytes); break;
        case 7: matvec_q8_warp<D, 7>(W, xq, xds, y, rows, cols, rowBytes); break;
        case 8: matvec_q8_warp<D, 8>(W, xq, xds, y, rows, cols, rowBytes); break;
        default: break;
    }
}

#define LONGLM_MATVEC_Q8(suffix, D) \
    extern "C" __global__ void __launch_bounds__(128) matvec_q8_##suffix(const unsigned char* W, const signed char* xq, \
                                                                         const float* xds, float* y, int rows, int cols, \
                                                                         long long rowBytes, int n) { \
        matvec_q8_impl<D>(W, xq, xds, y, rows, cols, rowBytes, n); \
    } \
    extern "C" __global__ void __launch_bounds__(128) matvec_q8_##suffix##_n1(const unsigned char* W, const signed char* xq, \
                                                                              const float* xds, float* y, int rows, int cols, \
                                                                              long long rowBytes) { \
        matvec_q8_warp<D, 1>(W, xq, xds, y, rows, cols, rowBytes); \
    }
LONGLM_MATVEC_Q8(q8_0, DotQ8_0)
LONGLM_MATVEC_Q8(q4_0, DotQ4_0)
LONGLM_MATVEC_Q8(q4_1, DotQ4_1)
LONGLM_MATVEC_Q8(q5_0, DotQ5_0)
LONGLM_MATVEC_Q8(q5_1, DotQ5_1)
LONGLM_MATVEC_Q8(q4_k, DotQ4_K)
LONGLM_MATVEC_Q8(q5_k, DotQ5_K)
LONGLM_MATVEC_Q8(q6_k, DotQ6_K)
