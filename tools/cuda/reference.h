// Host references of the harness: ggml block formats (checked against the ggml golden fixtures
// before they are used as a reference on other shapes), random blocks, activation quantization.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "half.h"
#include "harness.h"

enum class Type { F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K };

struct TypeInfo {
    Type type;
    const char* name;
    int blockValues;
    int blockBytes;
};

inline const std::vector<TypeInfo>& all_types() {
    static const std::vector<TypeInfo> types = {
            {Type::F32, "f32", 1, 4},       {Type::F16, "f16", 1, 2},       {Type::BF16, "bf16", 1, 2},
            {Type::Q8_0, "q8_0", 32, 34},   {Type::Q4_0, "q4_0", 32, 18},   {Type::Q4_1, "q4_1", 32, 20},
            {Type::Q5_0, "q5_0", 32, 22},   {Type::Q5_1, "q5_1", 32, 24},   {Type::Q4_K, "q4_k", 256, 144},
            {Type::Q5_K, "q5_k", 256, 176}, {Type::Q6_K, "q6_k", 256, 210},
    };
    return types;
}

inline bool is_quantized(Type t) { return t != Type::F32 && t != Type::F16 && t != Type::BF16; }

inline long long row_bytes(const TypeInfo& t, int cols) { return (long long) (cols / t.blockValues) * t.blockBytes; }

inline uint16_t le16(const uint8_t* p) { return (uint16_t) (p[0] | (p[1] << 8)); }
inline uint32_t le32(const uint8_t* p) { return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24); }
inline float h16(const uint8_t* p) { return half_to_float(le16(p)); }

/** Scale j and min j (0-7) of the packed 12-byte table of Q4_K/Q5_K (ggml's get_scale_min_k4). */
inline void k_scale_min(const uint8_t* s, int j, int* scale, int* min) {
    if (j < 4) {
        *scale = s[j] & 63;
        *min = s[j + 4] & 63;
    } else {
        *scale = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/** ggml's dequantize_row_* for one row; float operations in ggml's order (no fused multiply-add). */
inline void dequantize_row(Type type, const uint8_t* row, int cols, float* out) {
    switch (type) {
        case Type::F32:
            for (int c = 0; c < cols; c++) out[c] = bits_to_float(le32(row + 4 * c));
            return;
        case Type::F16:
            for (int c = 0; c < cols; c++) out[c] = half_to_float(le16(row + 2 * c));
            return;
        case Type::BF16:
            for (int c = 0; c < cols; c++) out[c] = bf16_to_float(le16(row + 2 * c));
            return;
        case Type::Q8_0:
            for (int b = 0; b < cols / 32; b++) {
                const uint8_t* x = row + 34 * b;
                float d = h16(x);
                for (int j = 0; j < 32; j++) out[32 * b + j] = (float) (int8_t) x[2 + j] * d;
            }
            return;
        case Type::Q4_0:
            for (int b = 0; b < cols / 32; b++) {
                const uint8_t* x = row + 18 * b;
                float d = h16(x);
                for (int j = 0; j < 16; j++) {
                    out[32 * b + j] = (float) ((x[2 + j] & 0xF) - 8) * d;
                    out[32 * b + j + 16] = (float) ((x[2 + j] >> 4) - 8) * d;
                }
            }
            return;
        case Type::Q4_1:
            for (int b = 0; b < cols / 32; b++) {
                const uint8_t* x = row + 20 * b;
                float d = h16(x), m = h16(x + 2);
                for (int j = 0; j < 16; j++) {
                    volatile float p0 = (float) (x[4 + j] & 0xF) * d;
                    volatile float p1 = (float) (x[4 + j] >> 4) * d;
                    out[32 * b + j] = p0 + m;
                    out[32 * b + j + 16] = p1 + m;
                }
            }
            return;
        case Type::Q5_0:
        case Type::Q5_1: {
            bool hasMin = type == Type::Q5_1;
            int bytes = hasMin ? 24 : 22;
            for (int b = 0; b < cols / 32; b++) {
                const uint8_t* x = row + bytes * b;
                float d = h16(x), m = hasMin ? h16(x + 2) : 0.0f;
                uint32_t qh = le32(x + (hasMin ? 4 : 2));
                const uint8_t* qs = x + (hasMin ? 8 : 6);
                for (int j = 0; j < 16; j++) {
                    int lo = (qs[j] & 0xF) | (((qh >> j) & 1) << 4);
                    int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
                    if (hasMin) {
                        volatile float p0 = (float) lo * d;
                        volatile float p1 = (float) hi * d;
                        out[32 * b + j] = p0 + m;
                        out[32 * b + j + 16] = p1 + m;
                    } else {
                        out[32 * b + j] = (float) (lo - 16) * d;
                        out[32 * b + j + 16] = (float) (hi - 16) * d;
                    }
                }
            }
            return;
        }
        case Type::Q4_K:
        case Type::Q5_K: {
            bool fifth = type == Type::Q5_K;
            int bytes = fifth ? 176 : 144;
            for (int b = 0; b < cols / 256; b++) {
                const uint8_t* x = row + bytes * b;
                float d = h16(x), dmin = h16(x + 2);
                const uint8_t* scales = x + 4;
                const uint8_t* qh = x + 16;
                const uint8_t* qs = x + (fifth ? 48 : 16);
                for (int j = 0; j < 4; j++) {
                    int s0, m0, s1, m1;
                    k_scale_min(scales, 2 * j, &s0, &m0);
                    k_scale_min(scales, 2 * j + 1, &s1, &m1);
                    float d1 = d * (float) s0, mm1 = dmin * (float) m0;
                    float d2 = d * (float) s1, mm2 = dmin * (float) m1;
                    for (int l = 0; l < 32; l++) {
                        int q0 = qs[32 * j + l] & 0xF, q1 = qs[32 * j + l] >> 4;
                        if (fifth) {
                            q0 |= ((qh[l] >> (2 * j)) & 1) << 4;
                            q1 |= ((qh[l] >> (2 * j + 1)) & 1) << 4;
                        }
                        volatile float p0 = d1 * (float) q0;
                        volatile float p1 = d2 * (float) q1;
                        out[256 * b + 64 * j + l] = p0 - mm1;
                        out[256 * b + 64 * j + 32 + l] = p1 - mm2;
                    }
                }
            }
            return;
        }
        case Type::Q6_K:
            for (int b = 0; b < cols / 256; b++) {
                const uint8_t* x = row + 210 * b;
                float d = h16(x + 208);
                for (int half = 0; half < 2; half++) {
                    const uint8_t* ql = x + 64 * half;
                    const uint8_t* qh = x + 128 + 32 * half;
                    const int8_t* sc = (const int8_t*) (x + 192 + 8 * half);
                    float* o = out + 256 * b + 128 * half;
                    for (int l = 0; l < 32; l++) {
                        int is = l / 16;
                        int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
                        int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                        int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                        int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                        o[l] = (d * (float) sc[is]) * (float) q1;
                        o[l + 32] = (d * (float) sc[is + 2]) * (float) q2;
                        o[l + 64] = (d * (float) sc[is + 4]) * (float) q3;
                        o[l + 96] = (d * (float) sc[is + 6]) * (float) q4;
                    }
                }
            }
            return;
    }
}

inline std::vector<float> dequantize(const TypeInfo& t, const std::vector<uint8_t>& data, int rows, int cols) {
    std::vector<float> out((size_t) rows * cols);
    long long rb = row_bytes(t, cols);
    for (int r = 0; r < rows; r++) {
        dequantize_row(t.type, data.data() + r * rb, cols, out.data() + (size_t) r * cols);
    }
    return out;
}

inline void put16(uint8_t* p, uint16_t v) {
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
}

/** A random f16 scale of either sign with magnitude in [lo, hi). */
inline uint16_t random_scale(Random& rng, float lo, float hi) {
    float v = rng.uniform(lo, hi);
    return float_to_half((rng.next() & 1) ? v : -v);
}

/**
 * Random weights of a type: random level bits, scales of plausible size (so sums stay finite and
 * meaningful); F32/F16/BF16 values uniform in [-1, 1).
 */
inline std::vector<uint8_t> random_matrix(const TypeInfo& t, int rows, int cols, Random& rng) {
    long long rb = row_bytes(t, cols);
    std::vector<uint8_t> data = rng.bytes((size_t) rows * rb);
    for (int r = 0; r < rows; r++) {
        uint8_t* row = data.data() + r * rb;
        switch (t.type) {
            case Type::F32:
                for (int c = 0; c < cols; c++) {
                    uint32_t u = float_to_bits(rng.uniform());
                    std::memcpy(row + 4 * c, &u, 4);
                }
                break;
            case Type::F16:
                for (int c = 0; c < cols; c++) put16(row + 2 * c, float_to_half(rng.uniform()));
                break;
            case Type::BF16:
                for (int c = 0; c < cols; c++) put16(row + 2 * c, float_to_bf16(rng.uniform()));
                break;
            case Type::Q8_0: case Type::Q4_0: case Type::Q5_0:
                for (int b = 0; b < cols / 32; b++) put16(row + t.blockBytes * b, random_scale(rng, 0.001f, 0.05f));
                break;
            case Type::Q4_1: case Type::Q5_1:
                for (int b = 0; b < cols / 32; b++) {
                    put16(row + t.blockBytes * b, random_scale(rng, 0.001f, 0.05f));
                    put16(row + t.blockBytes * b + 2, random_scale(rng, 0.01f, 0.5f));
                }
                break;
            case Type::Q4_K: case Type::Q5_K:
                for (int b = 0; b < cols / 256; b++) {
                    put16(row + t.blockBytes * b, float_to_half(rng.uniform(0.0001f, 0.002f)));
                    put16(row + t.blockBytes * b + 2, float_to_half(rng.uniform(0.0001f, 0.002f)));
                }
                break;
            case Type::Q6_K:
                for (int b = 0; b < cols / 256; b++) put16(row + t.blockBytes * b + 208, random_scale(rng, 0.0001f, 0.002f));
                break;
        }
    }
    return data;
}

/** The 8-bit activations quantize_q8 makes: per 32 values d = amax/127, q = round(x/d) (ggml's Q8_1 rule). */
struct QuantizedRows {
    std::vector<int8_t> q;
    std::vector<float> ds; // (d, d·Σq) per block
    std::vector<float> dequantized;
};

inline QuantizedRows quantize_rows(const std::vector<float>& x, int cols, int n) {
    QuantizedRows out;
    out.q.resize((size_t) n * cols);
    out.ds.resize((size_t) n * cols / 32 * 2);
    out.dequantized.resize((size_t) n * cols);
    for (int i = 0; i < n; i++) {
        for (int b = 0; b < cols / 32; b++) {
            const float* v = x.data() + (size_t) i * cols + 32 * b;
            float amax = 0;
            for (int k = 0; k < 32; k++) amax = std::max(amax, std::fabs(v[k]));
            float d = amax / 127.0f;
            float id = d != 0.0f ? 1.0f / d : 0.0f;
            int sum = 0;
            for (int k = 0; k < 32; k++) {
                int q = (int) std::roundf(v[k] * id);
                out.q[(size_t) i * cols + 32 * b + k] = (int8_t) q;
                out.dequantized[(size_t) i * cols + 32 * b + k] = (float) q * d;
                sum += q;
            }
            size_t blk = (size_t) i * (cols / 32) + b;
            out.ds[2 * blk] = d;
            out.ds[2 * blk + 1] = d * (float) sum;
        }
    }
    return out;
}
