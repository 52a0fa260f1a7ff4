// IEEE binary16 and bfloat16 on the host: exact widening, round-to-nearest-even narrowing.
#pragma once

#include <cstdint>
#include <cstring>

static inline float bits_to_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

static inline uint32_t float_to_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

static inline float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t) (h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    if (exponent == 0) {
        if (mantissa == 0) {
            return bits_to_float(sign);
        }
        // subnormal: mantissa · 2^-24
        float v = (float) mantissa * 5.9604644775390625e-08f;
        return sign ? -v : v;
    }
    if (exponent == 31) {
        return bits_to_float(sign | 0x7f800000u | (mantissa << 13));
    }
    return bits_to_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

static inline uint16_t float_to_half(float f) {
    uint32_t x = float_to_bits(f);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7fffffffu;
    if (absx > 0x7f800000u) {
        return (uint16_t) (sign | 0x7e00 | ((absx >> 13) & 0x3ff)); // NaN stays NaN
    }
    if (absx >= 0x477ff000u) { // rounds to ≥ 65520: infinity
        return (uint16_t) (sign | 0x7c00);
    }
    if (absx < 0x38800000u) { // below 2^-14: subnormal or zero, in units of 2^-24
        float a = bits_to_float(absx);
        float scaled = a * 16777216.0f; // exact
        // round half to even
        uint32_t q = (uint32_t) scaled;
        float rem = scaled - (float) q;
        if (rem > 0.5f || (rem == 0.5f && (q & 1))) {
            q++;
        }
        return (uint16_t) (sign | q);
    }
    uint32_t exponent = (absx >> 23) - 112;
    uint32_t mantissa = absx & 0x7fffff;
    uint32_t h = (exponent << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) {
        h++;
    }
    return (uint16_t) (sign | h);
}

static inline float bf16_to_float(uint16_t h) { return bits_to_float((uint32_t) h << 16); }

static inline uint16_t float_to_bf16(float f) {
    uint32_t bits = float_to_bits(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
        return (uint16_t) ((bits >> 16) | 64);
    }
    return (uint16_t) ((bits + (0x7fffu + ((bits >> 16) & 1))) >> 16);
}

static inline float round_half(float f) { return half_to_float(float_to_half(f)); }
