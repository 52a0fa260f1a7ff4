// GPU timings of the hot kernels at Llama-3.1-8B shapes (kernel_test --bench): decode matvec per
// format against the weight bytes it streams, fused attention prefill (plain and Self-Extend
// G8 W1024) and split-KV decoding at depth. CUDA-event timing, median of several runs.
#pragma once

#ifdef LONGLM_EMULATE
static void run_benchmarks() { std::printf("benchmarks need a GPU (run without --emulate)\n"); }
#else

extern "C" __global__ void bench_fill_f32(float* p, long long n, unsigned seed, float scale) {
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        unsigned long long z = (unsigned long long) i * 0x9E3779B97F4A7C15ull + seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        p[i] = scale * ((float) (z >> 40) * (2.0f / 16777216.0f) - 1.0f);
    }
}

extern "C" __global__ void bench_fill_f16(unsigned short* p, long long n, unsigned seed, float scale) {
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        unsigned long long z = (unsigned long long) i * 0x9E3779B97F4A7C15ull + seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        p[i] = f32_to_f16(scale * ((float) (z >> 40) * (2.0f / 16777216.0f) - 1.0f));
    }
}

static void fill(DeviceBuffer<float>& b, unsigned seed, float scale = 1.0f) {
    bench_fill_f32<<<1024, 256>>>(b.ptr, (long long) b.count, seed, scale);
    CUDA_CHECK(cudaGetLastError());
}

static void fill(DeviceBuffer<uint16_t>& b, unsigned seed, float scale = 1.0f) {
    bench_fill_f16<<<1024, 256>>>(b.ptr, (long long) b.count, seed, scale);
    CUDA_CHECK(cudaGetLastError());
}

/** Median milliseconds of one call of f over `runs` timed runs of `reps` calls each (after a warm-up). */
template <typename F>
static double time_ms(F f, int reps = 20, int runs = 5) {
    cudaEvent_t a, b;
    CUDA_CHECK(cudaEventCreate(&a));
    CUDA_CHECK(cudaEventCreate(&b));
    f();
    CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<double> times;
    for (int r = 0; r < runs; r++) {
        CUDA_CHECK(cudaEventRecord(a));
        for (int i = 0; i < reps; i++) f();
        CUDA_CHECK(cudaEventRecord(b));
        CUDA_CHECK(cudaEventSynchronize(b));
        float ms;
        CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
        times.push_back(ms / reps);
    }
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaEventDestroy(a));
    CUDA_CHECK(cudaEventDestroy(b));
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

/** Split count the README recommends: about 4 blocks per SM, at most one split per key tile. */
static int recommended_splits(int rowBlocks, int kvHeads, int kvLen, int tileKeys, int sms) {
    int blocks = rowBlocks * kvHeads;
    int want = (4 * sms + blocks - 1) / blocks;
    int tiles = (kvLen + tileKeys - 1) / tileKeys;
    return std::max(1, std::min(want, std::min(tiles, 256)));
}

static void bench_matvec(int sms) {
    (void) sms;
    struct Shape { const char* name; int rows, cols; };
    // one Llama-3.1-8B layer's projections (q, k, v, o, gate, up, down) and the output head
    const Shape layer[] = {{"q", 4096, 4096}, {"k", 1024, 4096}, {"v", 1024, 4096}, {"o", 4096, 4096},
                           {"gate", 14336, 4096}, {"up", 14336, 4096}, {"down", 4096, 14336}};
    std::printf("\nmatvec, Llama-3.1-8B layer (q,k,v,o,gate,up,down) per decode step; GB/s = weight bytes / time\n");
    std::printf("%-6s %-9s %10s %8s %10s %8s %12s\n", "type", "path", "n=1 us", "GB/s", "n=8 us", "GB/s", "down n=1 GB/s");
    Random rng(7);
    DeviceBuffer<float> x((size_t) 8 * 14336), y((size_t) 8 * 14336);
    fill(x, 3);
    DeviceBuffer<int8_t> xq((size_t) 8 * 14336);
    DeviceBuffer<float> xds((size_t) 8 * 14336 / 32 * 2);
    for (const TypeInfo& t : all_types()) {
        TypeKernels k = kernels_of(t.type);
        std::vector<DeviceBuffer<uint8_t>> weights;
        double bytes = 0;
        for (const Shape& s : layer) {
            weights.emplace_back(random_matrix(t, s.rows, s.cols, rng));
            bytes += (double) row_bytes(t, s.cols) * s.rows;
        }
        for (int path = 0; path < (k.matvecQ8 ? 2 : 1); path++) {
            double us[2], downUs = 0;
            for (int ni = 0; ni < 2; ni++) {
                int n = ni == 0 ? 1 : 8;
                auto step = [&](bool downOnly) {
                    for (size_t w = downOnly ? 6 : 0; w < 7; w++) {
                        const Shape& s = layer[w];
                        long long rb = row_bytes(t, s.cols);
                        if (path == 0 && n == 1) {
                            k.matvec1<<<(s.rows + 3) / 4, 128>>>(weights[w].ptr, x.ptr, y.ptr, s.rows, s.cols, rb);
                        } else if (path == 0) {
                            k.matvec<<<(s.rows + 3) / 4, 128>>>(weights[w].ptr, x.ptr, y.ptr, s.rows, s.cols, rb, n);
                        } else {
                            // the activations are quantized once per distinct input (x for q/k/v and gate/up, a for o, h for down)
                            if (w == 0 || w == 3 || w == 4 || w == 6) {
                                quantize_q8<<<dim3((s.cols + 127) / 128, n), 128>>>(x.ptr, (signed char*) xq.ptr, xds.ptr, s.cols, n);
                            }
                            if (n == 1) {
                                k.matvecQ81<<<(s.rows + 3) / 4, 128>>>(weights[w].ptr, (const signed char*) xq.ptr, xds.ptr,
                                                                       y.ptr, s.rows, s.cols, rb);
                            } else {
                                k.matvecQ8<<<(s.rows + 3) / 4, 128>>>(weights[w].ptr, (const signed char*) xq.ptr, xds.ptr,
                                                                      y.ptr, s.rows, s.cols, rb, n);
                            }
                        }
                    }
                };
                us[ni] = 1000.0 * time_ms([&] { step(false); });
                if (ni == 0) downUs = 1000.0 * time_ms([&] { step(true); });
            }
            double downBytes = (double) row_bytes(t, 14336) * 4096;
            std::printf("%-6s %-9s %10.1f %8.0f %10.1f %8.0f %12.0f\n", t.name, path == 0 ? "float x" : "8-bit x", us[0],
                        bytes / us[0] / 1e3, us[1], bytes / us[1] / 1e3, downBytes / downUs / 1e3);
            std::fflush(stdout);
        }
    }
}

static void bench_attention(int sms) {
    const int H = 32, KV = 8, D = 128, group = H / KV;
    MmaVariant prefill, decode;
    mma_lookup(D, false, &prefill);
    mma_lookup(D, true, &decode);
    allow_shared(prefill.kernel, prefill.sharedBytes);
    allow_shared(decode.kernel, decode.sharedBytes);
    Scheme se = {"self-extend G8 W1024", 1024, LONGLM_INT_MAX, 1, LONGLM_INT_MAX, 0.0f};
    Scheme dca = {"dca s6144 (w2048)", 0, LONGLM_INT_MAX, 0, LONGLM_INT_MAX, 0.0f, 6144}; // the kernel reads s only
    std::printf("\nfused attention prefill, 8B head shape (32 q heads, 8 KV heads, hd 128), F16 cache, one layer\n");
    std::printf("%8s %-22s %10s %8s\n", "tokens", "scheme", "ms", "TFLOP/s");
    for (int N : {4096, 16384, 32768}) {
        DeviceBuffer<float> q0((size_t) N * H * D), q1((size_t) N * H * D), q2((size_t) N * H * D), bk((size_t) N * KV * D),
                out((size_t) N * H * D);
        DeviceBuffer<uint16_t> K((size_t) KV * N * D), V((size_t) KV * N * D), ring((size_t) KV * 1024 * D);
        fill(q0, 1, 3.0f); fill(q1, 2, 3.0f); fill(q2, 7, 3.0f); fill(bk, 3); fill(K, 4); fill(V, 5); fill(ring, 6);
        DeviceBuffer<float> ws(1);
        for (const Scheme& s : {kPlain, se, dca}) {
            dim3 grid((N * group + prefill.rowsPerBlock - 1) / prefill.rowsPerBlock, 1, KV);
            double ms = time_ms([&] {
                prefill.kernel<<<grid, prefill.rowsPerBlock * 2, prefill.sharedBytes>>>(
                        q0.ptr, q1.ptr, q2.ptr, K.ptr, V.ptr, (long long) N, ring.ptr, 1024, bk.ptr, out.ptr, ws.ptr, N, 0, H, KV, D,
                        s.window, s.farKeyLimit, s.nearFromRing, s.chunk, s.span, 1.0f / std::sqrt((float) D), 0.0f, 1);
            }, 3, 3);
            double flops = 4.0 * N * (double) N / 2 * D * H;
            std::printf("%8d %-22s %10.2f %8.0f\n", N, s.name, ms, flops / ms / 1e9);
            std::fflush(stdout);
        }
    }
    std::printf("\nfused attention decoding (n = 1), same shape; GB/s = K and V bytes / time\n");
    std::printf("%8s %-22s %-28s %7s %10s %8s\n", "depth", "scheme", "kernel", "splits", "us", "GB/s");
    for (int depth : {4096, 16384, 32768}) {
        int cap = depth + 1;
        DeviceBuffer<float> q0((size_t) H * D), q1((size_t) H * D), q2((size_t) H * D), bk((size_t) KV * D), out((size_t) H * D);
        DeviceBuffer<uint16_t> K((size_t) KV * cap * D), V((size_t) KV * cap * D), ring((size_t) KV * 1024 * D);
        fill(q0, 1, 3.0f); fill(q1, 2, 3.0f); fill(q2, 7, 3.0f); fill(bk, 3); fill(K, 4); fill(V, 5); fill(ring, 6);
        double kvBytes = 2.0 * cap * KV * D * 2;
        for (const Scheme& s : {kPlain, se, dca}) {
            for (int variant = 0; variant < 2; variant++) {
                int tile = variant == 0 ? decode.tileKeys : LONGLM_SIMT_KEYS;
                int rowBlocks = variant == 0 ? (group + 15) / 16 : (group + LONGLM_SIMT_ROWS - 1) / LONGLM_SIMT_ROWS;
                int splits = recommended_splits(rowBlocks, KV, cap, tile, sms);
                DeviceBuffer<float> ws((size_t) splits * H * (D + 2));
                double ms = time_ms([&] {
                    dim3 grid(rowBlocks, splits, KV);
                    if (variant == 0) {
                        decode.kernel<<<grid, 32, decode.sharedBytes>>>(q0.ptr, q1.ptr, q2.ptr, K.ptr, V.ptr, (long long) cap, ring.ptr,
                                                                         1024, bk.ptr, out.ptr, ws.ptr, 1, depth, H, KV, D, s.window,
                                                                         s.farKeyLimit, s.nearFromRing, s.chunk, s.span,
                                                                         1.0f / std::sqrt((float) D), 0.0f, splits);
                    } else {
                        attention_simt_f16<<<grid, 128>>>(q0.ptr, q1.ptr, q2.ptr, K.ptr, V.ptr, (long long) cap, ring.ptr, 1024,
                                                          bk.ptr, out.ptr, ws.ptr, 1, depth, H, KV, D, s.window, s.farKeyLimit,
                                                          s.nearFromRing, s.chunk, s.span, 1.0f / std::sqrt((float) D), 0.0f,
                                                          splits);
                    }
                    if (splits > 1) {
                        attention_combine<<<H, 128>>>(ws.ptr, out.ptr, 1, H, D, splits);
                    }
                });
                std::printf("%8d %-22s %-28s %7d %10.1f %8.0f\n", depth, s.name,
                            variant == 0 ? "attention_mma_decode_f16_hd128" : "attention_simt_f16", splits, ms * 1000,
                            kvBytes / ms / 1e6);
                std::fflush(stdout);
            }
        }
    }
}

/** One decoding step's norm: a single 4096-wide row, in place, 256 threads (what the backend launches). */
static void bench_norm() {
    DeviceBuffer<float> x(4096), w(4096);
    fill(x, 5);
    fill(w, 6);
    double us = 1000.0 * time_ms([&] { rms_norm<<<1, 256>>>(x.ptr, w.ptr, x.ptr, 1, 4096, 1e-5f); }, 200);
    std::printf("\nrms_norm, one 4096-wide row in place (256 threads): %.2f us per launch (back to back)\n", us);
}

static void run_benchmarks() {
    cudaDeviceProp prop;
    CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    double t = seconds_now();
    {
        // the device's copy bandwidth, the yardstick of the streaming kernels (a copy reads and writes each byte)
        size_t bytes = (size_t) 2 << 30;
        void *a = device_malloc(bytes), *b = device_malloc(bytes);
        double ms = time_ms([&] { CUDA_CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice)); }, 5, 3);
        std::printf("\ndevice-to-device copy of 2 GiB: %.2f ms, %.0f GB/s (read + write)\n", ms, 2.0 * bytes / ms / 1e6);
        device_free(a);
        device_free(b);
    }
    bench_norm();
    bench_matvec(prop.multiProcessorCount);
    bench_attention(prop.multiProcessorCount);
    std::printf("benchmarks took %.1f s\n", seconds_now() - t);
}
#endif
