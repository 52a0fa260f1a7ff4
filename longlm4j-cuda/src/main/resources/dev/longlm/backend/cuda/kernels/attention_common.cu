// What the fused attention kernels share: which keys a query sees and how (the position scheme as
// data, exactly attention/FusedAttention), the score transform, and the combine step of split-KV.
//
// Rows: the n·group (query position, query head of the KV head's group) pairs of one KV head,
// row r = i·group + gh for position start+i and query head kvHead·group + gh, so that all query
// heads sharing a KV head are processed together and each key and value is read once for them.

/**
 * Keys of the query at position p: [first, farEnd) far, [firstSucc, firstNear) successive (chunked
 * ranges only; empty otherwise), [firstNear, p] near; plain attention has only near keys.
 */
struct KeyRange {
    int p;
    int first;
    int firstSucc;
    int firstNear;
    int farEnd;
};

/**
 * p < 0 marks a padding row, which sees no key. Sliding window (window > 0): the near keys are the
 * last W. Chunks (chunk = s > 0, DCA): the near keys are p's own chunk [⌊p/s⌋·s, p], the successive
 * keys the chunk before it, the far keys all earlier ones. Every boundary is clipped below by first.
 */
static __device__ __forceinline__ KeyRange key_range(int p, int window, int chunk, int span, int farKeyLimit) {
    KeyRange r;
    r.p = p;
    r.first = span == LONGLM_INT_MAX ? 0 : imax(0, p - span + 1);
    if (chunk > 0) {
        int chunkStart = p - p % chunk;
        r.firstNear = imax(r.first, chunkStart);
        r.firstSucc = imax(r.first, chunkStart - chunk);
        r.farEnd = imin(r.firstSucc, farKeyLimit);
    } else if (window == 0) {
        r.firstNear = r.first;
        r.firstSucc = r.first;
        r.farEnd = r.first;
    } else {
        r.firstNear = imax(r.first, p - window + 1);
        r.firstSucc = r.firstNear;
        r.farEnd = imin(r.firstNear, farKeyLimit);
    }
    return r;
}

#define LONGLM_KEY_MASKED 0
#define LONGLM_KEY_NEAR 1
#define LONGLM_KEY_FAR 2
#define LONGLM_KEY_SUCC 3

/**
 * Near keys are scored against the query at its true (or in-chunk) position, far ones against the
 * grouped (or inter-chunk) query, successive ones (CHUNKED only) against the successive-chunk query.
 */
template <bool CHUNKED>
static __device__ __forceinline__ int key_kind(const KeyRange& r, int j) {
    if (j > r.p || j < r.first) {
        return LONGLM_KEY_MASKED;
    }
    if (j >= r.firstNear) {
        return LONGLM_KEY_NEAR;
    }
    if (CHUNKED && j >= r.firstSucc) {
        return LONGLM_KEY_SUCC;
    }
    return j < r.farEnd ? LONGLM_KEY_FAR : LONGLM_KEY_MASKED;
}

/** Whether any query with position in [lo.p, hi.p] has far keys in [t0, t0 + len) (conservative; sliding window). */
static __device__ __forceinline__ bool tile_has_far(int t0, int len, const KeyRange& lo, const KeyRange& hi, int window) {
    return window > 0 && t0 < hi.farEnd && t0 + len > lo.first;
}

/** Whether any query with position in [lo.p, hi.p] has near keys in [t0, t0 + len) (conservative). */
static __device__ __forceinline__ bool tile_has_near(int t0, int len, const KeyRange& lo, const KeyRange& hi) {
    return t0 <= hi.p && t0 + len > lo.firstNear;
}

// Chunked ranges are visited range by range: all far tiles, then the successive ones, then the near
// ones, each visit scoring the keys of its one kind against one query copy. For queries with
// positions in [lo.p, hi.p], the keys of a kind lie in [kind_begin(kind, lo), kind_end(kind, hi)):
// every boundary grows with p. The chunk boundaries are the same multiples of s for every row, so
// a tile holds two kinds only where it holds a multiple of s (and the rows' own chunks differ only
// where the rows straddle one); such a tile is visited once per kind, its other keys masked.

static __device__ __forceinline__ int kind_begin(int kind, const KeyRange& lo) {
    return kind == LONGLM_KEY_FAR ? lo.first : kind == LONGLM_KEY_SUCC ? lo.firstSucc : lo.firstNear;
}

static __device__ __forceinline__ int kind_end(int kind, const KeyRange& hi) {
    return kind == LONGLM_KEY_FAR ? hi.farEnd : kind == LONGLM_KEY_SUCC ? hi.firstNear : hi.p + 1;
}

/** Whether some query with position in [lo.p, hi.p] has keys of this kind in [t0, t0 + len) (conservative). */
static __device__ __forceinline__ bool tile_has_kind(int kind, int t0, int len, const KeyRange& lo, const KeyRange& hi) {
    return t0 < kind_end(kind, hi) && t0 + len > kind_begin(kind, lo);
}

/** Whether every key of [t0, t0 + len) is of this kind for every query with position in [lo.p, hi.p]. */
static __device__ __forceinline__ bool tile_is_kind(int kind, int t0, int len, const KeyRange& lo, const KeyRange& hi) {
    return t0 >= kind_begin(kind, hi) && t0 + len <= kind_end(kind, lo);
}

/**
 * The first visit at or after (kind, t) of the keys [kb, end) in tiles of `tile` keys (kb a multiple
 * of it): t itself while it is inside its kind's keys, else the first tile of the next kind's; t ≥ end
 * when none is left. Start with (LONGLM_KEY_FAR, first tile of the far keys).
 */
static __device__ __forceinline__ void seek_visit(int& kind, int& t, const KeyRange& lo, const KeyRange& hi, int kb, int end, int tile) {
    while (t >= imin(kind_end(kind, hi), end)) {
        if (kind == LONGLM_KEY_NEAR) {
            t = end;
            return;
        }
        kind = kind == LONGLM_KEY_FAR ? LONGLM_KEY_SUCC : LONGLM_KEY_NEAR;
        t = imax(kb, kind_begin(kind, lo) / tile * tile);
    }
}

/** A dot product as the kernels' softmax wants it: scaled, soft-capped (cap·tanh(s·scale/cap)), in log2 units. */
static __device__ __forceinline__ float score_log2(float dot, float scale, float softCap) {
    float s = dot * scale;
    if (softCap > 0.0f) {
        s = softCap * tanhf(s / softCap);
    }
    return s * LONGLM_LOG2E;
}

/** Keys per split: the keys [0, kvLen) cut into `splits` runs, each a multiple of `tile` keys. */
static __device__ __forceinline__ int split_chunk(int kvLen, int splits, int tile) {
    int perSplit = (kvLen + splits - 1) / splits;
    return (perSplit + tile - 1) / tile * tile;
}

/**
 * Split-KV partials to outputs: workspace entry (split s, position i, head h) at
 * ((s·n + i)·heads + h)·(headDim + 2) holds the unnormalised Σ exp2(score − m)·v (headDim floats),
 * then m (log2 units; −inf when the split saw no key of the row) and the normaliser l.
 * Grid n·heads, block 128 (any multiple of 32).
 */
extern "C" __global__ void attention_combine(const float* workspace, float* out, int n, int heads, int headDim, int splits) {
    int idx = blockIdx.x;
    if (idx >= n * heads) {
        return;
    }
    long long stride = headDim + 2;
    long long splitStride = (long long) n * heads * stride;
    const float* base = workspace + idx * stride;
    float m = LONGLM_NEG_INF;
    for (int s = 0; s < splits; s++) {
        m = fmaxf(m, base[s * splitStride + headDim]);
    }
    float l = 0.0f;
    for (int s = 0; s < splits; s++) {
        float ms = base[s * splitStride + headDim];
        if (ms != LONGLM_NEG_INF) {
            l += exp2f(ms - m) * base[s * splitStride + headDim + 1];
        }
    }
    float inv = 1.0f / l;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        float o = 0.0f;
        for (int s = 0; s < splits; s++) {
            float ms = base[s * splitStride + headDim];
            if (ms != LONGLM_NEG_INF) {
                o += exp2f(ms - m) * base[s * splitStride + d];
            }
        }
        out[(long long) idx * headDim + d] = o * inv;
    }
}
