// Fused attention on tensor cores for the F16 cache (flash attention with an online softmax,
// mma.sync m16n8k16 with F32 accumulation), the position scheme as data, split-KV optional.
//
// A block has WARPS warps; warp w owns rows 16w … 16w+15 of the block's BM = 16·WARPS rows
// (attention_common.cu: the query heads of one KV head packed with the positions, so each K/V
// tile in shared memory serves the whole group). Tiles of BN keys stream through shared memory
// with cp.async, two stages deep.
//
// Sliding window (and plain attention), per tile and warp:
//   far keys  (distance ≥ W, stored at grouped positions) are scored against the grouped query q1,
//   near keys (distance < W, true-position keys from the ring or this call's batch) against q0.
// A tile is scored with one kind only, unless the warp's rows straddle distance W inside it; then
// both products are taken for that tile and each element keeps the one its distance calls for.
//
// Chunks (DCA, chunk > 0): the far keys (earlier chunks) against q1, the successive ones (the chunk
// before the query's) against q2, the near ones (its own chunk) against q0, all from the stored keys.
// The tiles are visited range by range (attention_common.cu, seek_visit), each visit scoring its one
// kind with the query copy held in slot 0, which is refilled when the visits move on to the next
// range; so two query copies are held as under the sliding window, never three. A chunk boundary
// is the same multiple of s for all rows, so a tile straddles one only where it holds that multiple
// (or, rarely, where the block's rows straddle one); it is visited once per kind it holds, the keys
// of the other kinds masked in each visit, and each key is still scored once.
//
// Precision: keys and values are exact in f16 (the cache stores them so), but the F32 queries and
// probabilities are not. Each is written as two f16 terms, x = hi + lo with hi = f16(x) and
// lo = f16(x − hi), and its product taken as two mma's accumulated in F32: hi·K + lo·K, hi·V + lo·V.
// The two terms carry 22 bits of x, so the products are as exact as the F32 accumulation; rounding
// either to one f16 term moved the bundled model's log-probabilities by up to 7.9e-3 (H200, F16 cache
// against the CPU with the same cache). Scores, softmax and the output accumulate in F32.

/** Two floats as the half2 words of their f16 terms: hi = f16(x), lo = f16(x − hi) (round to nearest even). */
static __device__ __forceinline__ void split_f16x2(float x, float y, unsigned& hi, unsigned& lo) {
    hi = pack_f16x2(x, y);
    lo = pack_f16x2(x - f16_to_f32((unsigned short) (hi & 0xffffu)), y - f16_to_f32((unsigned short) (hi >> 16)));
}

/** 8 floats as the 8 halves of their hi and lo terms, lowest address in the lowest bits. */
static __device__ __forceinline__ void split8_f16(const float* src, u32x4& hi, u32x4& lo) {
    f32x4 a = ((const f32x4*) src)[0];
    f32x4 b = ((const f32x4*) src)[1];
    split_f16x2(a.x, a.y, hi.x, lo.x);
    split_f16x2(a.z, a.w, hi.y, lo.y);
    split_f16x2(b.x, b.y, hi.z, lo.z);
    split_f16x2(b.z, b.w, hi.w, lo.w);
}

/** 8 floats as 8 halves (round to nearest even), lowest address in the lowest bits. */
static __device__ __forceinline__ u32x4 pack8_f16(const float* src) {
    f32x4 a = ((const f32x4*) src)[0];
    f32x4 b = ((const f32x4*) src)[1];
    u32x4 h;
    h.x = pack_f16x2(a.x, a.y);
    h.y = pack_f16x2(a.z, a.w);
    h.z = pack_f16x2(b.x, b.y);
    h.w = pack_f16x2(b.z, b.w);
    return h;
}

template <int D, int WARPS, int BN>
struct MmaShape {
    static constexpr int BM = 16 * WARPS;
    static constexpr int THREADS = 32 * WARPS;
    /** Shared-memory row of D halves plus 16 bytes, so ldmatrix's 8 rows fall in distinct banks. */
    static constexpr int ROW = D + 8;
    /**
     * Where the two query copies' terms live: registers, unless they would not fit beside the output
     * (ptxas -v, sm_90: with both terms in registers hd96 and hd128 went to local memory); then the lo
     * terms (D > 80), or both (D > 128), are rows of halves in shared memory, read with ldmatrix.
     */
    static constexpr bool Q_HI_IN_SHARED = D > 128;
    static constexpr bool Q_LO_IN_SHARED = D > 80;
    /** Terms held as A fragments in registers: terms [0, REG_TERMS) (hi = 0, lo = 1). */
    static constexpr int REG_TERMS = Q_HI_IN_SHARED ? 0 : Q_LO_IN_SHARED ? 1 : 2;
    static constexpr int TILE_HALVES = BN * ROW;
    /** Halves of one term of both query copies in shared memory: [copy][BM][ROW]. */
    static constexpr int Q_TERM_HALVES = 2 * BM * ROW;
    /** Offset of the lo term's rows from the hi term's (the first shared term). */
    static constexpr int Q_LO_OFFSET = Q_HI_IN_SHARED ? Q_TERM_HALVES : 0;
    /** Halves of dynamic shared memory: K and V twice (two stages), the true-key tile, the query terms kept there. */
    static constexpr int SHARED_HALVES = 5 * TILE_HALVES + (2 - REG_TERMS) * Q_TERM_HALVES;
};

/**
 * The A fragments of rows row0 and row0 + 8 (16 dims per k-step) of one query copy, as the halves of its
 * hi (term 0) and lo (term 1) parts, of which the first TERMS are kept; zeros for absent rows.
 */
template <int KSTEPS, int TERMS, int SLOTS>
static __device__ __forceinline__ void load_query_fragments(unsigned (&frag)[SLOTS][KSTEPS][4], const float* src0, const float* src1,
                                                            bool ok0, bool ok1, int tig) {
#pragma unroll
    for (int kk = 0; kk < (TERMS > 0 ? KSTEPS : 0); kk++) {
        int c = kk * 16 + 2 * tig;
        f32x2 a = ok0 ? *(const f32x2*) (src0 + c) : f32x2{0.0f, 0.0f};
        f32x2 b = ok1 ? *(const f32x2*) (src1 + c) : f32x2{0.0f, 0.0f};
        f32x2 e = ok0 ? *(const f32x2*) (src0 + c + 8) : f32x2{0.0f, 0.0f};
        f32x2 f = ok1 ? *(const f32x2*) (src1 + c + 8) : f32x2{0.0f, 0.0f};
        unsigned lo[4];
        split_f16x2(a.x, a.y, frag[0][kk][0], lo[0]);
        split_f16x2(b.x, b.y, frag[0][kk][1], lo[1]);
        split_f16x2(e.x, e.y, frag[0][kk][2], lo[2]);
        split_f16x2(f.x, f.y, frag[0][kk][3], lo[3]);
        if constexpr (TERMS == 2) {
            frag[1][kk][0] = lo[0];
            frag[1][kk][1] = lo[1];
            frag[1][kk][2] = lo[2];
            frag[1][kk][3] = lo[3];
        }
    }
}

/** CHUNKED: the chunked-ranges path (window = 0, no ring), compiled apart from the sliding-window and plain one. */
template <int D, int WARPS, int BN, bool CHUNKED>
static __device__ __forceinline__ void attention_mma_impl(const float* q0, const float* q1, const float* q2,
                                                          const unsigned short* K, const unsigned short* V, long long capacity,
                                                          const unsigned short* ring, int ringSlots, const float* batchKeys,
                                                          float* out, float* workspace, int n, int start, int heads,
                                                          int kvHeads, int window, int farKeyLimit, int nearFromRing, int chunk,
                                                          int span, float scale, float softCap, int splits) {
    typedef MmaShape<D, WARPS, BN> S;
    constexpr int BM = S::BM;
    constexpr int ROW = S::ROW;
    constexpr int KSTEPS = D / 16;
    constexpr int NT = BN / 8;
    constexpr int DT = D / 8;
    constexpr int CHUNKS = D / 8; // 16-byte chunks per key row

    unsigned short* smem = (unsigned short*) dynamic_shared();
    // stage s: keys at smem + s·TILE, values at smem + (2 + s)·TILE
    unsigned short* kTrue = smem + 4 * S::TILE_HALVES;
    unsigned short* qShared = smem + 5 * S::TILE_HALVES; // the query terms not in registers, each [2 copies][BM][ROW]

    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int gid = lane >> 2;
    const int tig = lane & 3;
    const int group = heads / kvHeads;
    const int g = blockIdx.z;
    const int split = blockIdx.y;
    const int rows = n * group;
    const int blockRow0 = (gridDim.x - 1 - blockIdx.x) * BM; // the longest (latest) rows start first
    const int kvLen = start + n;
    const bool useTrue = window > 0 && nearFromRing != 0;
    const long long kvRow = (long long) g * capacity;
    const float scaleLog2 = scale * LONGLM_LOG2E;

    const int warpRow0 = blockRow0 + warp * 16;
    const int row0 = warpRow0 + gid;
    const int row1 = row0 + 8;
    const KeyRange range0 = key_range(row0 < rows ? start + row0 / group : -1, window, chunk, span, farKeyLimit);
    const KeyRange range1 = key_range(row1 < rows ? start + row1 / group : -1, window, chunk, span, farKeyLimit);
    const int blockLast = imin(blockRow0 + BM, rows) - 1;
    const KeyRange blockLo = key_range(start + blockRow0 / group, window, chunk, span, farKeyLimit);
    const KeyRange blockHi = key_range(start + blockLast / group, window, chunk, span, farKeyLimit);
    const bool warpValid = warpRow0 < rows;
    const int warpLast = imin(warpRow0 + 16, rows) - 1;
    const KeyRange warpLo = key_range(start + warpRow0 / group, window, chunk, span, farKeyLimit);
    const KeyRange warpHi = key_range(start + warpLast / group, window, chunk, span, farKeyLimit);

    // Rows [localRow, localRow + count) of the block of query copy q into shared slot `slot` (the terms
    // kept there), chunks from..count·CHUNKS in steps of `step`; zeros for absent rows or copies.
    auto storeSharedQueries = [&](const float* q, int slot, int localRow, int count, int from, int step, bool present) {
        for (int c = from; c < count * CHUNKS; c += step) {
            int r = c / CHUNKS;
            int d0 = (c - r * CHUNKS) * 8;
            int rr = blockRow0 + localRow + r;
            u32x4 hi = {0u, 0u, 0u, 0u}, lo = {0u, 0u, 0u, 0u};
            if (present && rr < rows) {
                split8_f16(q + ((long long) (rr / group) * heads + g * group + rr % group) * D + d0, hi, lo);
            }
            unsigned short* dst = qShared + (slot * BM + localRow + r) * ROW + d0;
            if constexpr (S::Q_HI_IN_SHARED) {
                *(u32x4*) dst = hi;
            }
            *(u32x4*) (dst + S::Q_LO_OFFSET) = lo;
        }
    };
    // The queries' terms: the first REG_TERMS as A fragments in registers, the others in shared memory.
    // (Sized to what is held: an array with slots never written stayed in local memory, ptxas -v.)
    constexpr int TERM_SLOTS = S::REG_TERMS > 0 ? S::REG_TERMS : 1;
    constexpr int K_SLOTS = S::REG_TERMS > 0 ? KSTEPS : 1;
    unsigned qFrag[2][TERM_SLOTS][K_SLOTS][4];
    if constexpr (S::Q_LO_IN_SHARED) {
        storeSharedQueries(q0, 0, 0, BM, tid, S::THREADS, true);
        storeSharedQueries(q1, 1, 0, BM, tid, S::THREADS, window > 0);
    }
#pragma unroll
    for (int which = 0; which < 2; which++) { // unrolled: qFrag indexed by a constant stays in registers
        const float* q = which == 0 ? q0 : q1;
        bool present = which == 0 || window > 0;
        const float* src0 = q + ((long long) (row0 / group) * heads + g * group + row0 % group) * D;
        const float* src1 = q + ((long long) (row1 / group) * heads + g * group + row1 % group) * D;
        load_query_fragments<K_SLOTS, S::REG_TERMS>(qFrag[which], src0, src1, present && row0 < rows, present && row1 < rows, tig);
    }
    // Chunked ranges: the query copy of `kind` into slot 0 (this warp's rows; the other slot is unused).
    int slotKind = LONGLM_KEY_NEAR;
    auto refillSlot = [&](int kind) {
        const float* q = kind == LONGLM_KEY_NEAR ? q0 : kind == LONGLM_KEY_FAR ? q1 : q2;
        if constexpr (S::Q_LO_IN_SHARED) {
            __syncwarp(); // the warp's reads of the old copy are done
            storeSharedQueries(q, 0, warp * 16, 16, lane, 32, true);
            __syncwarp();
        }
        const float* src0 = q + ((long long) (row0 / group) * heads + g * group + row0 % group) * D;
        const float* src1 = q + ((long long) (row1 / group) * heads + g * group + row1 % group) * D;
        load_query_fragments<K_SLOTS, S::REG_TERMS>(qFrag[0], src0, src1, row0 < rows, row1 < rows, tig);
        slotKind = kind;
    };

    const int splitKeys = split_chunk(kvLen, splits, BN);
    const int kb = split * splitKeys;
    const int ke = imin(kvLen, kb + splitKeys);
    const int tileEnd = imin(ke, blockHi.p + 1);

    // Next tile at or after t that some row of the block needs (StreamingLLM skips its evicted keys).
    auto nextTile = [&](int t) {
        while (t < tileEnd && !tile_has_far(t, BN, blockLo, blockHi, window) && !tile_has_near(t, BN, blockLo, blockHi)) {
            t += BN;
        }
        return t;
    };
    // The visit after tile t of `kind` (kind unused but under chunks).
    auto advance = [&](int& kind, int& t) {
        if constexpr (CHUNKED) {
            t += BN;
            seek_visit(kind, t, blockLo, blockHi, kb, tileEnd, BN);
        } else {
            t = nextTile(t + BN);
        }
    };
    // Stored keys (unless only near keys from the ring/batch are needed) and values of tile t into stage s.
    auto issue = [&](int t, int s) {
        bool stored = CHUNKED || tile_has_far(t, BN, blockLo, blockHi, window) || (!useTrue && tile_has_near(t, BN, blockLo, blockHi));
        for (int c = tid; c < BN * CHUNKS; c += S::THREADS) {
            int r = c / CHUNKS;
            int d0 = (c - r * CHUNKS) * 8;
            int j = t + r;
            bool valid = j < kvLen;
            long long src = (kvRow + (valid ? j : 0)) * D + d0;
            if (stored) {
                cp_async16(smem + s * S::TILE_HALVES + r * ROW + d0, K + src, valid);
            }
            cp_async16(smem + (2 + s) * S::TILE_HALVES + r * ROW + d0, V + src, valid);
        }
    };
    // True-position keys of tile t: this call's batch (F32, rounded to f16) or the ring.
    auto loadTrueKeys = [&](int t) {
        for (int c = tid; c < BN * CHUNKS; c += S::THREADS) {
            int r = c / CHUNKS;
            int d0 = (c - r * CHUNKS) * 8;
            int j = t + r;
            u32x4 h = {0u, 0u, 0u, 0u};
            if (j < kvLen) {
                if (j >= start) {
                    h = pack8_f16(batchKeys + (long long) (j - start) * kvHeads * D + g * D + d0);
                } else {
                    h = *(const u32x4*) (ring + ((long long) g * ringSlots + j % ringSlots) * D + d0);
                }
            }
            *(u32x4*) (kTrue + r * ROW + d0) = h;
        }
    };

    float o[DT][4];
#pragma unroll
    for (int dt = 0; dt < DT; dt++) {
        o[dt][0] = o[dt][1] = o[dt][2] = o[dt][3] = 0.0f;
    }
    float m0 = LONGLM_NEG_INF, m1 = LONGLM_NEG_INF, l0 = 0.0f, l1 = 0.0f;

    if constexpr (S::Q_LO_IN_SHARED) {
        __syncthreads();
    }
    int kind = LONGLM_KEY_FAR;
    int t = imax(kb, blockLo.first / BN * BN);
    if constexpr (CHUNKED) {
        seek_visit(kind, t, blockLo, blockHi, kb, tileEnd, BN);
    } else {
        t = nextTile(t);
    }
    int stage = 0;
    if (t < tileEnd) {
        issue(t, 0);
    }
    cp_async_commit();
    while (t < tileEnd) {
        int nextKind = kind, next = t;
        advance(nextKind, next);
        if (next < tileEnd) {
            issue(next, stage ^ 1);
        }
        cp_async_commit();
        cp_async_wait<1>();
        __syncthreads();
        if (useTrue && tile_has_near(t, BN, blockLo, blockHi)) {
            loadTrueKeys(t);
            __syncthreads();
        }
        // Most tiles are one kind for every element of the warp (inside the causal triangle, wholly beyond
        // distance W, or inside one range of a chunk): those skip the per-element classification. Under
        // chunks a visit scores one kind, with slot 0, as the sliding window's near keys are scored.
        const bool inSplit = t + BN <= ke;
        bool far, near, pureNear, pureFar;
        if constexpr (CHUNKED) {
            far = false;
            near = warpValid && tile_has_kind(kind, t, BN, warpLo, warpHi);
            pureNear = inSplit && tile_is_kind(kind, t, BN, warpLo, warpHi);
            pureFar = false;
        } else {
            far = warpValid && tile_has_far(t, BN, warpLo, warpHi, window);
            near = warpValid && tile_has_near(t, BN, warpLo, warpHi);
            pureNear = inSplit && t >= warpHi.firstNear && t + BN - 1 <= warpLo.p;
            pureFar = inSplit && window > 0 && t >= warpHi.first && t + BN <= warpLo.farEnd;
        }
        if constexpr (CHUNKED) {
            if (near && slotKind != kind) {
                refillSlot(kind);
            }
        }
        if (far || near) {
            const unsigned short* kFar = smem + stage * S::TILE_HALVES;
            const unsigned short* kNear = useTrue ? kTrue : kFar;
            const unsigned short* vTile = smem + (2 + stage) * S::TILE_HALVES;
            float sc[NT][4];
#pragma unroll
            for (int nt2 = 0; nt2 < NT / 2; nt2++) {
                float sf[2][4] = {{0.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f}};
                float sn[2][4] = {{0.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f}};
                // ldmatrix rows: keys nt2·16 + (lane%8) + 8·(lane/16), dims +8·((lane/8)%2)
                const int keyRow = nt2 * 16 + (lane & 7) + ((lane >> 4) << 3);
                const int dimOff = ((lane >> 3) & 1) << 3;
#pragma unroll
                for (int which = 0; which < 2; which++) {
                    if (which == 0 ? !far : !near) {
                        continue;
                    }
                    const unsigned short* kt = which == 0 ? kFar : kNear;
                    float (*acc)[4] = which == 0 ? sf : sn;
#pragma unroll
                    for (int kk = 0; kk < KSTEPS; kk++) {
                        unsigned b[4];
                        ldmatrix_x4(b, kt + keyRow * ROW + kk * 16 + dimOff);
                        const int q = which == 0 ? 1 : 0;
#pragma unroll
                        for (int term = 0; term < 2; term++) {
                            unsigned a[4];
                            if (term >= S::REG_TERMS) { // resolved at compile time (unrolled)
                                ldmatrix_x4(a, qShared + (term == 1 ? S::Q_LO_OFFSET : 0) + (q * BM + warp * 16 + (lane & 15)) * ROW
                                                       + kk * 16 + ((lane >> 4) << 3));
                            } else {
                                const unsigned* f = qFrag[q][term % TERM_SLOTS][kk % K_SLOTS];
                                a[0] = f[0];
                                a[1] = f[1];
                                a[2] = f[2];
                                a[3] = f[3];
                            }
                            mma_16816(acc[0], a, b);
                            mma_16816(acc[1], a, b + 2);
                        }
                    }
                }
#pragma unroll
                for (int tt = 0; tt < 2; tt++) {
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        if (pureNear || pureFar) {
                            float dot = pureFar ? sf[tt][e] : sn[tt][e];
                            sc[2 * nt2 + tt][e] = softCap > 0.0f ? score_log2(dot, scale, softCap) : dot * scaleLog2;
                        } else {
                            int j = t + nt2 * 16 + tt * 8 + 2 * tig + (e & 1);
                            int jKind = j < ke ? key_kind<CHUNKED>(e < 2 ? range0 : range1, j) : LONGLM_KEY_MASKED;
                            if constexpr (CHUNKED) {
                                jKind = jKind == kind ? LONGLM_KEY_NEAR : LONGLM_KEY_MASKED; // scored with slot 0, or in another visit
                            }
                            float dot = jKind == LONGLM_KEY_FAR ? sf[tt][e] : sn[tt][e];
                            sc[2 * nt2 + tt][e] = jKind == LONGLM_KEY_MASKED ? LONGLM_NEG_INF : score_log2(dot, scale, softCap);
                        }
                    }
                }
            }
            // online softmax over the tile; each row's four threads (same gid) agree through two shuffles
            float mx0 = LONGLM_NEG_INF, mx1 = LONGLM_NEG_INF;
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                mx0 = fmaxf(mx0, fmaxf(sc[nt][0], sc[nt][1]));
                mx1 = fmaxf(mx1, fmaxf(sc[nt][2], sc[nt][3]));
            }
            mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1));
            mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
            mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1));
            mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
            float new0 = fmaxf(m0, mx0), new1 = fmaxf(m1, mx1);
            float corr0 = m0 == LONGLM_NEG_INF ? 0.0f : exp2f(m0 - new0);
            float corr1 = m1 == LONGLM_NEG_INF ? 0.0f : exp2f(m1 - new1);
            float ref0 = new0 == LONGLM_NEG_INF ? 0.0f : new0;
            float ref1 = new1 == LONGLM_NEG_INF ? 0.0f : new1;
            m0 = new0;
            m1 = new1;
            l0 *= corr0;
            l1 *= corr1;
#pragma unroll
            for (int dt = 0; dt < DT; dt++) {
                o[dt][0] *= corr0;
                o[dt][1] *= corr0;
                o[dt][2] *= corr1;
                o[dt][3] *= corr1;
            }
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                sc[nt][0] = exp2f(sc[nt][0] - ref0);
                sc[nt][1] = exp2f(sc[nt][1] - ref0);
                sc[nt][2] = exp2f(sc[nt][2] - ref1);
                sc[nt][3] = exp2f(sc[nt][3] - ref1);
                l0 += sc[nt][0] + sc[nt][1];
                l1 += sc[nt][2] + sc[nt][3];
            }
            // P·V: the score fragments are already the A fragments of the next product (its hi and lo terms)
#pragma unroll
            for (int kk = 0; kk < BN / 16; kk++) {
                unsigned a[4], aLo[4];
                split_f16x2(sc[2 * kk][0], sc[2 * kk][1], a[0], aLo[0]);
                split_f16x2(sc[2 * kk][2], sc[2 * kk][3], a[1], aLo[1]);
                split_f16x2(sc[2 * kk + 1][0], sc[2 * kk + 1][1], a[2], aLo[2]);
                split_f16x2(sc[2 * kk + 1][2], sc[2 * kk + 1][3], a[3], aLo[3]);
                // ldmatrix.trans rows: keys kk·16 + (lane%8) + 8·((lane/8)%2), dims +8·(lane/16)
                const unsigned short* vRow = vTile + (kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3)) * ROW + ((lane >> 4) << 3);
#pragma unroll
                for (int dt2 = 0; dt2 < D / 16; dt2++) {
                    unsigned b[4];
                    ldmatrix_x4_trans(b, vRow + dt2 * 16);
                    mma_16816(o[2 * dt2], a, b);
                    mma_16816(o[2 * dt2 + 1], a, b + 2);
                    mma_16816(o[2 * dt2], aLo, b);
                    mma_16816(o[2 * dt2 + 1], aLo, b + 2);
                }
            }
        }
        __syncthreads(); // the stage and the true-key tile are overwritten next
        t = next;
        kind = nextKind;
        stage ^= 1;
    }
    cp_async_wait<0>();

    l0 += __shfl_xor_sync(0xffffffffu, l0, 1);
    l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 1);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
#pragma unroll
    for (int half = 0; half < 2; half++) {
        int rr = half == 0 ? row0 : row1;
        if (rr >= rows) {
            continue;
        }
        long long qrow = (long long) (rr / group) * heads + g * group + rr % group;
        float m = half == 0 ? m0 : m1;
        float l = half == 0 ? l0 : l1;
        if (splits == 1) {
            float inv = 1.0f / l;
            float* dst = out + qrow * D + 2 * tig;
#pragma unroll
            for (int dt = 0; dt < DT; dt++) {
                f32x2 v = {o[dt][2 * half] * inv, o[dt][2 * half + 1] * inv};
                *(f32x2*) (dst + dt * 8) = v;
            }
        } else {
            float* w = workspace + ((long long) split * n * heads + qrow) * (D + 2);
#pragma unroll
            for (int dt = 0; dt < DT; dt++) {
                w[dt * 8 + 2 * tig] = o[dt][2 * half];
                w[dt * 8 + 2 * tig + 1] = o[dt][2 * half + 1];
            }
            if (tig == 0) {
                w[D] = m;
                w[D + 1] = l;
            }
        }
    }
}

/**
 * The chunked path as a call of its own: inlined beside the sliding-window path, it would change that
 * path's register allocation (measured with ptxas -v: spills in hd64/hd96/hd256); called, it leaves it
 * as it was.
 */
template <int D, int WARPS, int BN>
static __device__ __noinline__ void attention_mma_chunked(const float* q0, const float* q1, const float* q2,
                                                         const unsigned short* K, const unsigned short* V, long long capacity,
                                                         float* out, float* workspace, int n, int start, int heads, int kvHeads,
                                                         int farKeyLimit, int chunk, int span, float scale, float softCap,
                                                         int splits) {
    attention_mma_impl<D, WARPS, BN, true>(q0, q1, q2, K, V, capacity, nullptr, 0, nullptr, out, workspace, n, start, heads,
                                           kvHeads, 0, farKeyLimit, 0, chunk, span, scale, softCap, splits);
}

// Kernels per head size: attention_mma_f16_hd<D> (64 rows per block, 4 warps: prefill) and
// attention_mma_decode_f16_hd<D> (16 rows, 1 warp: decoding and short batches, with split-KV).
#define LONGLM_ATTENTION_MMA(name, D, WARPS, BN) \
    extern "C" __global__ void __launch_bounds__(32 * WARPS) name( \
            const float* q0, const float* q1, const float* q2, const unsigned short* K, const unsigned short* V, \
            long long capacity, const unsigned short* ring, int ringSlots, const float* batchKeys, float* out, float* workspace, \
            int n, int start, int heads, int kvHeads, int headDim, int window, int farKeyLimit, int nearFromRing, int chunk, \
            int span, float scale, float softCap, int splits) { \
        if (chunk > 0) { \
            attention_mma_chunked<D, WARPS, BN>(q0, q1, q2, K, V, capacity, out, workspace, n, start, heads, kvHeads, farKeyLimit, \
                                                chunk, span, scale, softCap, splits); \
        } else { \
            attention_mma_impl<D, WARPS, BN, false>(q0, q1, q2, K, V, capacity, ring, ringSlots, batchKeys, out, workspace, n, \
                                                    start, heads, kvHeads, window, farKeyLimit, nearFromRing, 0, span, scale, \
                                                    softCap, splits); \
        } \
    }
#define LONGLM_ATTENTION_MMA_HEAD(D, BN) \
    LONGLM_ATTENTION_MMA(attention_mma_f16_hd##D, D, 4, BN) \
    LONGLM_ATTENTION_MMA(attention_mma_decode_f16_hd##D, D, 1, 32)
LONGLM_ATTENTION_MMA_HEAD(16, 64)
LONGLM_ATTENTION_MMA_HEAD(32, 64)
LONGLM_ATTENTION_MMA_HEAD(64, 64)
LONGLM_ATTENTION_MMA_HEAD(80, 64)
LONGLM_ATTENTION_MMA_HEAD(96, 64)
LONGLM_ATTENTION_MMA_HEAD(128, 64)
LONGLM_ATTENTION_MMA_HEAD(256, 32)
