// Fused attention on CUDA cores in F32, for either cache type: the accuracy reference (F32 cache)
// and the fallback for head sizes the tensor-core kernels do not cover. Any n, split-KV optional.
//
// Block of 128 threads = 8 rows (attention_common.cu) × tiles of 128 keys, one key per thread in the
// scoring step: the thread reads its key once per kind it is needed as (near and/or far) and takes
// one dot product per row with the query that key's distance calls for. A key is needed as both
// kinds only when the block's rows straddle distance W at it (at most 7 keys per row tile).
// Chunks (DCA) visit the tiles range by range as attention_mma.cu does, each visit scoring its one
// kind (far: q1, successive: q2, near: q0, all stored keys) with the query copy held in qs[0].

#define LONGLM_SIMT_ROWS 8
#define LONGLM_SIMT_KEYS 128
#define LONGLM_SIMT_MAX_HEAD 256

static __device__ __forceinline__ void load4(const float* p, float* v) {
    f32x4 a = *(const f32x4*) p;
    v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w;
}

static __device__ __forceinline__ void load4(const unsigned short* p, float* v) {
    u32x2 a = *(const u32x2*) p;
    v[0] = f16_to_f32((unsigned short) (a.x & 0xffff));
    v[1] = f16_to_f32((unsigned short) (a.x >> 16));
    v[2] = f16_to_f32((unsigned short) (a.y & 0xffff));
    v[3] = f16_to_f32((unsigned short) (a.y >> 16));
}

/** A value as the cache type T holds it (batch keys are rounded to T, as if read back from the ring). */
static __device__ __forceinline__ float round_to(float v, const float*) { return v; }
static __device__ __forceinline__ float round_to(float v, const unsigned short*) { return f16_to_f32(f32_to_f16(v)); }

/** The kernels' shared memory, one for both paths (a __shared__ inside the template would be one per path). */
struct SimtShared {
    alignas(16) float qs[2][LONGLM_SIMT_ROWS][LONGLM_SIMT_MAX_HEAD];
    float ps[LONGLM_SIMT_ROWS][LONGLM_SIMT_KEYS];
    KeyRange ranges[LONGLM_SIMT_ROWS];
    float rowM[LONGLM_SIMT_ROWS], rowL[LONGLM_SIMT_ROWS], rowCorr[LONGLM_SIMT_ROWS];
};
__shared__ SimtShared simtShared;

/**
 * CHUNKED: the chunked-ranges path (window = 0, no ring), compiled apart from the sliding-window and
 * plain one so that it keeps its code (both inlined here: ptxas -v shows no register change).
 */
template <typename T, bool CHUNKED>
static __device__ __forceinline__ void attention_simt_impl(const float* q0, const float* q1, const float* q2, const T* K,
                                                           const T* V, long long capacity, const T* ring, int ringSlots,
                                                           const float* batchKeys, float* out, float* workspace, int n,
                                                           int start, int heads, int kvHeads, int headDim, int window,
                                                           int farKeyLimit, int nearFromRing, int chunk, int span, float scale,
                                                           float softCap, int splits) {
    constexpr int RT = LONGLM_SIMT_ROWS;
    constexpr int KT = LONGLM_SIMT_KEYS;
    constexpr int ITEMS = RT * LONGLM_SIMT_MAX_HEAD / 4 / KT;
    float (&qs)[2][RT][LONGLM_SIMT_MAX_HEAD] = simtShared.qs;
    float (&ps)[RT][KT] = simtShared.ps;
    KeyRange (&ranges)[RT] = simtShared.ranges;
    float (&rowM)[RT] = simtShared.rowM;
    float (&rowL)[RT] = simtShared.rowL;
    float (&rowCorr)[RT] = simtShared.rowCorr;

    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int D = headDim;
    const int group = heads / kvHeads;
    const int g = blockIdx.z;
    const int split = blockIdx.y;
    const int rows = n * group;
    const int row0 = blockIdx.x * RT;
    const int kvLen = start + n;
    const bool useTrue = window > 0 && nearFromRing != 0;

    for (int e = tid; e < RT * D; e += blockDim.x) {
        int r = e / D;
        int d = e - r * D;
        int rr = row0 + r;
        float a = 0.0f, b = 0.0f;
        if (rr < rows) {
            long long off = ((long long) (rr / group) * heads + g * group + rr % group) * D + d;
            a = q0[off];
            b = window > 0 ? q1[off] : 0.0f;
        }
        qs[0][r][d] = a;
        qs[1][r][d] = b;
    }
    if (tid < RT) {
        int rr = row0 + tid;
        ranges[tid] = key_range(rr < rows ? start + rr / group : -1, window, chunk, span, farKeyLimit);
        rowM[tid] = LONGLM_NEG_INF;
        rowL[tid] = 0.0f;
        rowCorr[tid] = 1.0f;
    }
    __syncthreads();

    // The rows' key ranges: positions grow with the row, so the first row bounds from below, the last valid one from above.
    const int lastRow = imin(row0 + RT, rows) - 1 - row0;
    const KeyRange lo = ranges[0];
    const KeyRange hi = ranges[lastRow];
    const int splitKeys = split_chunk(kvLen, splits, KT);
    const int kb = split * splitKeys;
    const int ke = imin(kvLen, kb + splitKeys);
    const int tileEnd = imin(ke, hi.p + 1);

    float acc[ITEMS][4];
#pragma unroll
    for (int k = 0; k < ITEMS; k++) {
        acc[k][0] = acc[k][1] = acc[k][2] = acc[k][3] = 0.0f;
    }
    const int dGroups = D / 4;

    // Under chunks: the kind of the current visit, and the kind whose query copy qs[0] holds.
    int visitKind = LONGLM_KEY_FAR, slotKind = LONGLM_KEY_NEAR;
    int t0 = imax(kb, lo.first / KT * KT);
    if constexpr (CHUNKED) {
        seek_visit(visitKind, t0, lo, hi, kb, tileEnd, KT);
    }
    for (; t0 < tileEnd; CHUNKED ? seek_visit(visitKind, t0 += KT, lo, hi, kb, tileEnd, KT) : (void) (t0 += KT)) {
        if (CHUNKED ? !tile_has_kind(visitKind, t0, KT, lo, hi)
                    : !tile_has_far(t0, KT, lo, hi, window) && !tile_has_near(t0, KT, lo, hi)) {
            continue;
        }
        if constexpr (CHUNKED) {
            if (slotKind != visitKind) {
                const float* q = visitKind == LONGLM_KEY_FAR ? q1 : visitKind == LONGLM_KEY_SUCC ? q2 : q0;
                for (int e = tid; e < RT * D; e += blockDim.x) {
                    int r = e / D;
                    int rr = row0 + r;
                    qs[0][r][e - r * D] = rr < rows ? q[((long long) (rr / group) * heads + g * group + rr % group) * D + e - r * D] : 0.0f;
                }
                slotKind = visitKind;
                __syncthreads(); // the previous tile's readers of qs[0] finished at its last barrier
            }
        }
        // scores: one key per thread; under chunks this visit's kind is scored like near keys, with qs[0]
        const int j = t0 + tid;
        int kind[RT];
        bool needNear = false, needFar = false;
#pragma unroll
        for (int r = 0; r < RT; r++) {
            kind[r] = j < ke ? key_kind<CHUNKED>(ranges[r], j) : LONGLM_KEY_MASKED;
            if constexpr (CHUNKED) {
                kind[r] = kind[r] == visitKind ? LONGLM_KEY_NEAR : LONGLM_KEY_MASKED; // or scored in another visit
            }
            needNear |= kind[r] == LONGLM_KEY_NEAR;
            needFar |= kind[r] == LONGLM_KEY_FAR;
        }
        const T* stored = K + ((long long) g * capacity + j) * D;
        const T* ringKey = nullptr;
        const float* batchKey = nullptr;
        if (useTrue) {
            if (j >= start) {
                batchKey = batchKeys + (long long) (j - start) * kvHeads * D + g * D;
            } else {
                ringKey = ring + ((long long) g * ringSlots + j % ringSlots) * D;
            }
        }
        float sNear[RT], sFar[RT];
#pragma unroll
        for (int r = 0; r < RT; r++) {
            sNear[r] = 0.0f;
            sFar[r] = 0.0f;
        }
        if (needNear || needFar) {
            for (int d0 = 0; d0 < D; d0 += 4) {
                float kn[4], kf[4];
                if (needFar) {
                    load4(stored + d0, kf);
#pragma unroll
                    for (int r = 0; r < RT; r++) {
                        f32x4 q = *(const f32x4*) &qs[1][r][d0];
                        sFar[r] = fmaf(q.x, kf[0], fmaf(q.y, kf[1], fmaf(q.z, kf[2], fmaf(q.w, kf[3], sFar[r]))));
                    }
                }
                if (needNear) {
                    if (!useTrue) {
                        load4(stored + d0, kn);
                    } else if (batchKey != nullptr) {
                        load4(batchKey + d0, kn);
#pragma unroll
                        for (int c = 0; c < 4; c++) {
                            kn[c] = round_to(kn[c], K);
                        }
                    } else {
                        load4(ringKey + d0, kn);
                    }
#pragma unroll
                    for (int r = 0; r < RT; r++) {
                        f32x4 q = *(const f32x4*) &qs[0][r][d0];
                        sNear[r] = fmaf(q.x, kn[0], fmaf(q.y, kn[1], fmaf(q.z, kn[2], fmaf(q.w, kn[3], sNear[r]))));
                    }
                }
            }
        }
#pragma unroll
        for (int r = 0; r < RT; r++) {
            float s = kind[r] == LONGLM_KEY_FAR ? sFar[r] : sNear[r];
            ps[r][tid] = kind[r] == LONGLM_KEY_MASKED ? LONGLM_NEG_INF : score_log2(s, scale, softCap);
        }
        __syncthreads();

        // online softmax: warp w updates rows w and w + 4
#pragma unroll
        for (int rr = 0; rr < RT / 4; rr++) {
            int r = warp + 4 * rr;
            float v[KT / 32];
            float tileMax = LONGLM_NEG_INF;
#pragma unroll
            for (int k = 0; k < KT / 32; k++) {
                v[k] = ps[r][lane + 32 * k];
                tileMax = fmaxf(tileMax, v[k]);
            }
            tileMax = warp_max(tileMax);
            float mOld = rowM[r];
            float mNew = fmaxf(mOld, tileMax);
            float ref = mNew == LONGLM_NEG_INF ? 0.0f : mNew;
            float sum = 0.0f;
#pragma unroll
            for (int k = 0; k < KT / 32; k++) {
                float p = exp2f(v[k] - ref);
                ps[r][lane + 32 * k] = p;
                sum += p;
            }
            sum = warp_sum(sum);
            if (lane == 0) {
                float corr = mOld == LONGLM_NEG_INF ? 0.0f : exp2f(mOld - mNew);
                rowM[r] = mNew;
                rowL[r] = rowL[r] * corr + sum;
                rowCorr[r] = corr;
            }
        }
        __syncthreads();

        // values: thread item (row, 4 components) accumulates Σ p·v over the tile's keys
        const int keys = imin(KT, kvLen - t0);
#pragma unroll
        for (int k = 0; k < ITEMS; k++) {
            int it = tid + KT * k;
            if (it < RT * dGroups) {
                int r = it / dGroups;
                int d0 = (it - r * dGroups) * 4;
                float corr = rowCorr[r];
                float a0 = acc[k][0] * corr, a1 = acc[k][1] * corr, a2 = acc[k][2] * corr, a3 = acc[k][3] * corr;
                const T* vp = V + ((long long) g * capacity + t0) * D + d0;
                for (int jj = 0; jj < keys; jj++) {
                    float p = ps[r][jj];
                    float vv[4];
                    load4(vp + (long long) jj * D, vv);
                    a0 = fmaf(p, vv[0], a0);
                    a1 = fmaf(p, vv[1], a1);
                    a2 = fmaf(p, vv[2], a2);
                    a3 = fmaf(p, vv[3], a3);
                }
                acc[k][0] = a0; acc[k][1] = a1; acc[k][2] = a2; acc[k][3] = a3;
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int k = 0; k < ITEMS; k++) {
        int it = tid + KT * k;
        if (it < RT * dGroups) {
            int r = it / dGroups;
            int d0 = (it - r * dGroups) * 4;
            int rr = row0 + r;
            if (rr < rows) {
                long long qrow = (long long) (rr / group) * heads + g * group + rr % group;
                if (splits == 1) {
                    float inv = 1.0f / rowL[r];
                    f32x4 o = {acc[k][0] * inv, acc[k][1] * inv, acc[k][2] * inv, acc[k][3] * inv};
                    *(f32x4*) (out + qrow * D + d0) = o;
                } else {
                    float* w = workspace + ((long long) split * n * heads + qrow) * (D + 2);
                    w[d0] = acc[k][0];
                    w[d0 + 1] = acc[k][1];
                    w[d0 + 2] = acc[k][2];
                    w[d0 + 3] = acc[k][3];
                    if (d0 == 0) {
                        w[D] = rowM[r];
                        w[D + 1] = rowL[r];
                    }
                }
            }
        }
    }
}

#define LONGLM_ATTENTION_SIMT(suffix, T) \
    extern "C" __global__ void __launch_bounds__(128) attention_simt_##suffix( \
            const float* q0, const float* q1, const float* q2, const T* K, const T* V, long long capacity, const T* ring, \
            int ringSlots, const float* batchKeys, float* out, float* workspace, int n, int start, int heads, int kvHeads, \
            int headDim, int window, int farKeyLimit, int nearFromRing, int chunk, int span, float scale, float softCap, \
            int splits) { \
        if (chunk > 0) { \
            attention_simt_impl<T, true>(q0, q1, q2, K, V, capacity, ring, ringSlots, batchKeys, out, workspace, n, start, heads, \
                                         kvHeads, headDim, 0, farKeyLimit, 0, chunk, span, scale, softCap, splits); \
        } else { \
            attention_simt_impl<T, false>(q0, q1, q2, K, V, capacity, ring, ringSlots, batchKeys, out, workspace, n, start, heads, \
                                          kvHeads, headDim, window, farKeyLimit, nearFromRing, 0, span, scale, softCap, splits); \
        } \
    }
LONGLM_ATTENTION_SIMT(f16, unsigned short)
LONGLM_ATTENTION_SIMT(f32, float)
