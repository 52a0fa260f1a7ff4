// Position schemes on the host for the fused attention tests (included by kernel_test.cu after its
// attention inputs, reference helpers and launchers).
//
// Each scheme is written twice, from different ends:
//   * pair(p, j): for the query at p and the key at j, the RoPE positions at which the two meet (or
//     that j is not seen), case by case from the method's definition — LongLM's Eq. 3 for Self-Extend,
//     ReRoPE's clipped and Leaky ReRoPE's compressed distances, DCA's intra-, successive- and
//     inter-chunk positions (An et al. 2024, Eq. 2, 5, 7), StreamingLLM's sinks and recent keys;
//   * the per-copy positions the engine rotates (docs/LONG_CONTEXT.md, "What a backend's attention
//     kernel computes": near, far and successive query, stored key; true-position keys for the ring)
//     and the kernel parameters it passes.
// The kernels get the per-copy rotations and choose a copy per key from their range arithmetic; the
// reference scores every pair at its own positions in double precision. A kernel that scores a key
// with the wrong query copy or key, or misses or repeats one, is off by O(1).
#pragma once

#include <functional>
#include <string>

/** Where the query at p and the key at j meet: their RoPE positions, or not at all. */
struct PairPositions {
    bool visible;
    double query, key;
};

struct HostScheme {
    std::string name;
    Scheme kernel; // what the kernel is told (its name unused)
    std::function<double(int)> nearQuery, farQuery, succQuery, storedKey;
    std::function<PairPositions(int p, int j)> pair; // before the span, which masks p − j ≥ span for every scheme
};

static HostScheme plain_positions() {
    HostScheme h{"plain", kPlain};
    h.nearQuery = h.farQuery = h.succQuery = h.storedKey = [](int p) { return (double) p; };
    h.pair = [](int p, int j) { return PairPositions{true, (double) p, (double) j}; };
    return h;
}

/** Self-Extend G, W: true distances inside the neighbour window, ⌊p/G⌋ − ⌊j/G⌋ + W − ⌊W/G⌋ beyond it. */
static HostScheme self_extend_positions(int G, int W) {
    HostScheme h{fmt("self-extend G%d W%d", G, W), {"", W, LONGLM_INT_MAX, 1, LONGLM_INT_MAX, 0.0f}};
    auto far = [G, W](int p) { return (double) (p / G + W - W / G); };
    h.nearQuery = [](int p) { return (double) p; };
    h.farQuery = far;
    h.succQuery = h.nearQuery;
    h.storedKey = [G](int j) { return (double) (j / G); };
    h.pair = [G, W, far](int p, int j) {
        return p - j < W ? PairPositions{true, (double) p, (double) j} : PairPositions{true, far(p), (double) (j / G)};
    };
    return h;
}

/** StreamingLLM: the recent R keys at their positions, the S sink keys seen from min(p, S + R − 1), the rest evicted. */
static HostScheme streaming_positions(int sinks, int recent) {
    HostScheme h{fmt("streaming S%d R%d", sinks, recent), {"", recent, sinks, 0, LONGLM_INT_MAX, 0.0f}};
    h.nearQuery = h.succQuery = h.storedKey = [](int p) { return (double) p; };
    h.farQuery = [sinks, recent](int p) { return (double) std::min(p, sinks + recent - 1); };
    h.pair = [sinks, recent](int p, int j) {
        if (p - j < recent) return PairPositions{true, (double) p, (double) j};
        return PairPositions{j < sinks, (double) std::min(p, sinks + recent - 1), (double) j};
    };
    return h;
}

/** ReRoPE w: the distance min(p − j, w). */
static HostScheme rerope_positions(int w) {
    HostScheme h{fmt("rerope w%d", w), {"", w, LONGLM_INT_MAX, 1, LONGLM_INT_MAX, 0.0f}};
    h.nearQuery = h.succQuery = [](int p) { return (double) p; };
    h.farQuery = [w](int) { return (double) w; };
    h.storedKey = [](int) { return 0.0; };
    h.pair = [w](int p, int j) { return p - j < w ? PairPositions{true, (double) p, (double) j} : PairPositions{true, (double) w, 0.0}; };
    return h;
}

/** Leaky ReRoPE w, k: the distance d below w, w + (d − w)/k beyond (fractional positions). */
static HostScheme leaky_rerope_positions(int w, double k) {
    HostScheme h{fmt("leaky-rerope w%d k%g", w, k), {"", w, LONGLM_INT_MAX, 1, LONGLM_INT_MAX, 0.0f}};
    auto far = [w, k](int p) { return p / k + w - w / k; };
    h.nearQuery = h.succQuery = [](int p) { return (double) p; };
    h.farQuery = far;
    h.storedKey = [k](int j) { return j / k; };
    h.pair = [w, k, far](int p, int j) {
        return p - j < w ? PairPositions{true, (double) p, (double) j} : PairPositions{true, far(p), j / k};
    };
    return h;
}

/**
 * Dual Chunk Attention, chunk size s, local window w ≤ s: keys at their in-chunk position j mod s; the
 * query at p mod s for keys of its own chunk (intra), at min(s + p mod s, s + w − 1) for the chunk
 * before (successive), at s + w − 1 for earlier chunks (inter).
 */
static HostScheme dca_positions(int s, int w) {
    HostScheme h{fmt("dca s%d w%d", s, w), {"", 0, LONGLM_INT_MAX, 0, LONGLM_INT_MAX, 0.0f, s}};
    h.nearQuery = [s](int p) { return (double) (p % s); };
    h.succQuery = [s, w](int p) { return (double) std::min(s + p % s, s + w - 1); };
    h.farQuery = [s, w](int) { return (double) (s + w - 1); };
    h.storedKey = [s](int j) { return (double) (j % s); };
    h.pair = [s, w](int p, int j) {
        int chunkP = p / s, chunkJ = j / s;
        double query = chunkJ == chunkP ? p % s : chunkJ == chunkP - 1 ? std::min(s + p % s, s + w - 1) : s + w - 1;
        return PairPositions{true, query, (double) (j % s)};
    };
    return h;
}

static HostScheme with_span(HostScheme h, int span) {
    h.name += fmt(" span=%d", span);
    h.kernel.span = span;
    return h;
}

static HostScheme with_soft_cap(HostScheme h, float cap) {
    h.name += fmt(" softcap=%g", cap);
    h.kernel.softCap = cap;
    return h;
}

/** One sequence's unrotated query, key and value rows (positions 0 … length−1) and its RoPE. */
struct RawSequence {
    int length, heads, kvHeads, headDim;
    bool neox;
    std::vector<double> invFreq;
    std::vector<float> q, k, v; // length × heads·headDim, length × kvHeads·headDim (k and v)

    RawSequence(Random& rng, int length_, int heads_, int kvHeads_, int headDim_, bool neox_)
        : length(length_), heads(heads_), kvHeads(kvHeads_), headDim(headDim_), neox(neox_),
          invFreq(inverse_frequencies(headDim_, 10000.0)) {
        q = rng.floats((size_t) length * heads * headDim, -3.0f, 3.0f);
        k = rng.floats((size_t) length * kvHeads * headDim);
        v = rng.floats((size_t) length * kvHeads * headDim);
    }

    /** Query head h of position p rotated to `position`, as the engine's RoPE kernel computes it. */
    std::vector<float> query(int p, int h, double position) const {
        return rotate(&q[((size_t) p * heads + h) * headDim], position);
    }

    /** Key of KV head g at position j rotated to `position`. */
    std::vector<float> key(int j, int g, double position) const {
        return rotate(&k[((size_t) j * kvHeads + g) * headDim], position);
    }

    std::vector<float> rotate(const float* src, double position) const {
        std::vector<float> out(headDim);
        host_rotate(src, out.data(), 1, headDim, headDim, neox, position, invFreq, 1.0f);
        return out;
    }
};

/** Rows from … from+n−1, each of `parts` vectors of `width` values, vector (row, part) = f(row, part). */
static std::vector<float> rows_of(int from, int n, int parts, int width, const std::function<std::vector<float>(int, int)>& f) {
    std::vector<float> out((size_t) n * parts * width);
    for (int i = 0; i < n; i++) {
        for (int part = 0; part < parts; part++) {
            std::vector<float> r = f(from + i, part);
            std::copy(r.begin(), r.end(), out.begin() + ((size_t) i * parts + part) * width);
        }
    }
    return out;
}

/** This call's query copies (positions start … start+n−1) rotated as the engine rotates them. */
static void rotated_queries(const RawSequence& r, const HostScheme& s, int start, int n, AttentionInputs& a) {
    int D = r.headDim;
    a.q0 = rows_of(start, n, r.heads, D, [&](int p, int h) { return r.query(p, h, s.nearQuery(p)); });
    a.q1 = rows_of(start, n, r.heads, D, [&](int p, int h) { return r.query(p, h, s.farQuery(p)); });
    a.q2 = rows_of(start, n, r.heads, D, [&](int p, int h) { return r.query(p, h, s.succQuery(p)); });
}

/** Keys at their stored positions and at their true ones (the ring's and the batch's), F32, positions from … from+n−1. */
static std::vector<float> stored_keys(const RawSequence& r, const HostScheme& s, int from, int n) {
    return rows_of(from, n, r.kvHeads, r.headDim, [&](int j, int g) { return r.key(j, g, s.storedKey(j)); });
}

static std::vector<float> true_keys(const RawSequence& r, int from, int n) {
    return rows_of(from, n, r.kvHeads, r.headDim, [&](int j, int g) { return r.key(j, g, (double) j); });
}

/**
 * One call's inputs for the queries start … start+n−1 of `r` under `s`, as the engine prepares them:
 * query copies rotated per copy, the cache holding keys 0 … start+n−1 at their stored positions and
 * the values (NaN beyond), the ring holding the true-position keys of the last W positions before
 * start (NaN in slots no key was stored in), this call's true-position keys as the batch.
 */
template <typename T>
static AttentionInputs positional_inputs(const RawSequence& r, const HostScheme& s, int n, int start) {
    AttentionInputs a;
    int D = r.headDim, kvDim = r.kvHeads * D;
    a.n = n; a.start = start; a.heads = r.heads; a.kvHeads = r.kvHeads; a.headDim = D;
    a.capacity = start + n + 9;
    a.window = s.kernel.window; a.farKeyLimit = s.kernel.farKeyLimit; a.nearFromRing = s.kernel.nearFromRing;
    a.span = s.kernel.span; a.chunk = s.kernel.chunk; a.softCap = s.kernel.softCap;
    a.ringSlots = std::max(1, s.kernel.window);
    a.scale = 1.0f / std::sqrt((float) D);
    rotated_queries(r, s, start, n, a);
    std::vector<float> keys = stored_keys(r, s, 0, start + n);
    a.K.assign((size_t) r.kvHeads * a.capacity * D, NAN);
    a.V.assign(a.K.size(), NAN);
    for (int j = 0; j < start + n; j++) {
        for (int g = 0; g < r.kvHeads; g++) {
            for (int e = 0; e < D; e++) {
                size_t off = ((size_t) g * a.capacity + j) * D + e;
                a.K[off] = CacheType<T>::from(CacheType<T>::to(keys[(size_t) j * kvDim + g * D + e]));
                a.V[off] = CacheType<T>::from(CacheType<T>::to(r.v[(size_t) j * kvDim + g * D + e]));
            }
        }
    }
    a.ring.assign((size_t) r.kvHeads * a.ringSlots * D, NAN);
    int firstRing = std::max(0, start - a.ringSlots);
    std::vector<float> ringKeys = true_keys(r, firstRing, start - firstRing);
    for (int j = firstRing; j < start; j++) {
        for (int g = 0; g < r.kvHeads; g++) {
            for (int e = 0; e < D; e++) {
                a.ring[((size_t) g * a.ringSlots + j % a.ringSlots) * D + e] =
                        CacheType<T>::from(CacheType<T>::to(ringKeys[(size_t) (j - firstRing) * kvDim + g * D + e]));
            }
        }
    }
    a.batchKeys = true_keys(r, start, n);
    return a;
}

/**
 * Double-precision attention of the queries start … start+n−1 of `r` from the pair rule alone: every
 * visible (p, j) scored with the query rotated to the pair's query position and the key rotated to its
 * key position, stored as T (the queries as given: every kernel computes with them to F32 precision).
 */
template <typename T>
static std::vector<float> positional_reference(const RawSequence& r, const HostScheme& s, int n, int start) {
    int D = r.headDim, group = r.heads / r.kvHeads, kvDim = r.kvHeads * D;
    float scale = 1.0f / std::sqrt((float) D);
    std::vector<float> out((size_t) n * r.heads * D);
    std::vector<double> score, acc(D);
    for (int i = 0; i < n; i++) {
        int p = start + i;
        for (int h = 0; h < r.heads; h++) {
            int g = h / group;
            score.assign(p + 1, -INFINITY);
            double mx = -INFINITY;
            for (int j = 0; j <= p; j++) {
                PairPositions at = s.pair(p, j);
                if (!at.visible || (s.kernel.span != LONGLM_INT_MAX && p - j >= s.kernel.span)) continue;
                std::vector<float> q = r.query(p, h, at.query), k = r.key(j, g, at.key);
                double dot = 0;
                for (int d = 0; d < D; d++) {
                    dot += (double) q[d] * CacheType<T>::from(CacheType<T>::to(k[d]));
                }
                double sc = dot * scale;
                if (s.kernel.softCap > 0) sc = s.kernel.softCap * std::tanh(sc / s.kernel.softCap);
                score[j] = sc;
                mx = std::max(mx, sc);
            }
            std::fill(acc.begin(), acc.end(), 0.0);
            double sum = 0;
            for (int j = 0; j <= p; j++) {
                if (score[j] == -INFINITY) continue;
                double w = std::exp(score[j] - mx);
                sum += w;
                for (int d = 0; d < D; d++) {
                    acc[d] += w * CacheType<T>::from(CacheType<T>::to(r.v[(size_t) j * kvDim + g * D + d]));
                }
            }
            for (int d = 0; d < D; d++) out[((size_t) i * r.heads + h) * D + d] = (float) (acc[d] / sum);
        }
    }
    return out;
}
