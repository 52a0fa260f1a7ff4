// CPU versions of kernels/primitives.cu (the only kernel file with inline PTX), written from the
// PTX ISA's definitions of the instructions: cvt with round-to-nearest-even, mma.m16n8k16 and
// ldmatrix fragment layouts, cp.async with zero fill.
#pragma once

#include "emu.h"
#include "half.h"

static inline float f16_to_f32(unsigned short h) { return half_to_float(h); }
static inline unsigned short f32_to_f16(float f) { return float_to_half(f); }
static inline unsigned pack_f16x2(float lo, float hi) {
    return (unsigned) float_to_half(lo) | ((unsigned) float_to_half(hi) << 16);
}

/** D (16×8 f32) += A (16×16 f16) · B (16×8 f16), fragments as documented in primitives.cu. */
static inline void mma_16816(float* d, const unsigned* a, const unsigned* b) {
    uint64_t mine[emu::kWarpWords] = {a[0], a[1], a[2], a[3], b[0], b[1]};
    const uint64_t* all = emu::warp_exchange(mine, 6);
    auto element = [&](int lane, int reg, int k) {
        uint64_t w = all[lane * emu::kWarpWords + reg];
        return half_to_float((unsigned short) ((k & 1) ? (w >> 16) & 0xffff : w & 0xffff));
    };
    // A[row][k]: lane 4·(row%8) + (k%8)/2, register (row ≥ 8) + 2·(k ≥ 8); B[k][col]: lane 4·col + (k%8)/2, register 4 + (k ≥ 8)
    auto A = [&](int row, int k) { return element(4 * (row % 8) + (k % 8) / 2, (row >= 8 ? 1 : 0) + (k >= 8 ? 2 : 0), k); };
    auto B = [&](int k, int col) { return element(4 * col + (k % 8) / 2, 4 + (k >= 8 ? 1 : 0), k); };
    int lane = threadIdx.x % 32;
    int g = lane / 4, t = lane % 4;
    const int rowsOut[4] = {g, g, g + 8, g + 8};
    const int colsOut[4] = {2 * t, 2 * t + 1, 2 * t, 2 * t + 1};
    for (int e = 0; e < 4; e++) {
        float s = d[e];
        for (int k = 0; k < 16; k++) {
            s += A(rowsOut[e], k) * B(k, colsOut[e]);
        }
        d[e] = s;
    }
}

static inline void ldmatrix_common(unsigned* r, const void* rowAddress, bool transpose) {
    uint64_t mine[emu::kWarpWords] = {(uint64_t) (uintptr_t) rowAddress};
    const uint64_t* all = emu::warp_exchange(mine, 1);
    int lane = threadIdx.x % 32;
    for (int i = 0; i < 4; i++) {
        unsigned short e[2];
        for (int k = 0; k < 2; k++) {
            int row, col;
            if (!transpose) {
                row = lane / 4;
                col = 2 * (lane % 4) + k;
            } else {
                row = 2 * (lane % 4) + k;
                col = lane / 4;
            }
            const unsigned short* p = (const unsigned short*) (uintptr_t) all[(8 * i + row) * emu::kWarpWords];
            e[k] = p[col];
        }
        r[i] = (unsigned) e[0] | ((unsigned) e[1] << 16);
    }
}

static inline void ldmatrix_x4(unsigned* r, const void* rowAddress) { ldmatrix_common(r, rowAddress, false); }
static inline void ldmatrix_x4_trans(unsigned* r, const void* rowAddress) { ldmatrix_common(r, rowAddress, true); }

static inline void cp_async16(void* sharedDst, const void* globalSrc, bool valid) {
    if (valid) {
        std::memcpy(sharedDst, globalSrc, 16);
    } else {
        std::memset(sharedDst, 0, 16);
    }
}
static inline void cp_async_commit() {}
template <int N>
static inline void cp_async_wait() {}

static inline unsigned char* dynamic_shared() {
    unsigned char* p = emu::scheduler().dynamicShared.data();
    return (unsigned char*) (((uintptr_t) p + 15) & ~(uintptr_t) 15);
}
