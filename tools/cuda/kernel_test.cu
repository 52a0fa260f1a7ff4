// Standalone test harness of the CUDA kernels (longlm4j-cuda/src/main/resources/dev/longlm/backend/cuda/kernels):
// every kernel against a host reference on fresh random data and odd sizes, the dequantizers
// bit-exact against the ggml golden fixtures, the fused attention against a double-precision
// reference built from explicit (query, key) position rules. Prints one table; exit 1 on failure.
//
//   GPU:      tools/cuda/run-kernel-tests.sh            (nvcc, then runs; --bench adds timings)
//   CPU:      tools/cuda/run-kernel-tests.sh --emulate  (g++ and tools/cuda/emu.h, no GPU needed)
//
// The kernels are compiled as the Java backend compiles them: the files of kernels.list
// concatenated into one unit (the script writes it to build/kernels_concat.cu; the emulated build
// leaves primitives.cu out and takes emu_primitives.h instead).

#ifdef LONGLM_EMULATE
#include "emu_primitives.h"
#else
#include <cuda_runtime.h>
#endif
#include "kernels_concat.cu"

#include "harness.h"
#include "reference.h"

#include <fstream>
#include <functional>
#include <map>

static Report report;

// ---------------------------------------------------------------- kernels by type

typedef void (*GetRowsKernel)(const unsigned char*, const int*, float*, int, int, long long);
typedef void (*DequantKernel)(const unsigned char*, unsigned short*, int, int, long long);
typedef void (*MatvecKernel)(const unsigned char*, const float*, float*, int, int, long long, int);
typedef void (*MatvecQ8Kernel)(const unsigned char*, const signed char*, const float*, float*, int, int, long long, int);
typedef void (*Matvec1Kernel)(const unsigned char*, const float*, float*, int, int, long long);
typedef void (*MatvecQ81Kernel)(const unsigned char*, const signed char*, const float*, float*, int, int, long long);

struct TypeKernels {
    GetRowsKernel getRows = nullptr;
    DequantKernel dequantF16 = nullptr;
    MatvecKernel matvec = nullptr;
    MatvecQ8Kernel matvecQ8 = nullptr;
    Matvec1Kernel matvec1 = nullptr;
    MatvecQ81Kernel matvecQ81 = nullptr;
};

static TypeKernels kernels_of(Type t) {
    switch (t) {
        case Type::F32: return {get_rows_f32, dequant_f16_f32, matvec_f32, nullptr, matvec_f32_n1, nullptr};
        case Type::F16: return {get_rows_f16, nullptr, matvec_f16, nullptr, matvec_f16_n1, nullptr};
        case Type::BF16: return {get_rows_bf16, dequant_f16_bf16, matvec_bf16, nullptr, matvec_bf16_n1, nullptr};
        case Type::Q8_0: return {get_rows_q8_0, dequant_f16_q8_0, matvec_q8_0, matvec_q8_q8_0, matvec_q8_0_n1, matvec_q8_q8_0_n1};
        case Type::Q4_0: return {get_rows_q4_0, dequant_f16_q4_0, matvec_q4_0, matvec_q8_q4_0, matvec_q4_0_n1, matvec_q8_q4_0_n1};
        case Type::Q4_1: return {get_rows_q4_1, dequant_f16_q4_1, matvec_q4_1, matvec_q8_q4_1, matvec_q4_1_n1, matvec_q8_q4_1_n1};
        case Type::Q5_0: return {get_rows_q5_0, dequant_f16_q5_0, matvec_q5_0, matvec_q8_q5_0, matvec_q5_0_n1, matvec_q8_q5_0_n1};
        case Type::Q5_1: return {get_rows_q5_1, dequant_f16_q5_1, matvec_q5_1, matvec_q8_q5_1, matvec_q5_1_n1, matvec_q8_q5_1_n1};
        case Type::Q4_K: return {get_rows_q4_k, dequant_f16_q4_k, matvec_q4_k, matvec_q8_q4_k, matvec_q4_k_n1, matvec_q8_q4_k_n1};
        case Type::Q5_K: return {get_rows_q5_k, dequant_f16_q5_k, matvec_q5_k, matvec_q8_q5_k, matvec_q5_k_n1, matvec_q8_q5_k_n1};
        case Type::Q6_K: return {get_rows_q6_k, dequant_f16_q6_k, matvec_q6_k, matvec_q8_q6_k, matvec_q6_k_n1, matvec_q8_q6_k_n1};
    }
    return {};
}

static unsigned blocks_for(long long n, int per) { return (unsigned) std::min<long long>((n + per - 1) / per, 1 << 20); }

// ---------------------------------------------------------------- dequantization

static std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s (pass the golden folder as the first argument)\n", path.c_str());
        std::exit(2);
    }
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

static std::vector<float> as_floats(const std::vector<uint8_t>& bytes) {
    std::vector<float> f(bytes.size() / 4);
    std::memcpy(f.data(), bytes.data(), f.size() * 4);
    return f;
}

/** get_rows and dequant_f16 of one matrix, against expected dequantized rows. */
static void check_dequant(const TypeInfo& t, const std::vector<uint8_t>& data, int rows, int cols,
                          const std::vector<float>& expected, const std::string& what, Random& rng) {
    TypeKernels k = kernels_of(t.type);
    long long rb = row_bytes(t, cols);
    DeviceBuffer<uint8_t> w(data);
    std::vector<int> tokens;
    for (int i = 0; i < rows + 2; i++) {
        tokens.push_back(i < rows ? rows - 1 - i : rng.below(rows));
    }
    DeviceBuffer<int> tok(tokens);
    DeviceBuffer<float> out(tokens.size() * cols);
    LAUNCH(k.getRows, dim3((unsigned) tokens.size(), (cols + 1023) / 1024), dim3(128), 0, w.ptr, tok.ptr, out.ptr,
           (int) tokens.size(), cols, rb);
    std::vector<float> got = out.download();
    std::vector<float> want(tokens.size() * cols);
    for (size_t i = 0; i < tokens.size(); i++) {
        std::memcpy(&want[i * cols], &expected[(size_t) tokens[i] * cols], cols * sizeof(float));
    }
    report.check(std::string("get_rows_") + t.name, what, (double) bit_mismatches(got, want), 0);
    if (k.dequantF16 != nullptr) {
        DeviceBuffer<uint16_t> h((size_t) rows * cols);
        LAUNCH(k.dequantF16, dim3(rows, (cols + 1023) / 1024), dim3(128), 0, w.ptr, h.ptr, rows, cols, rb);
        std::vector<uint16_t> wantH(expected.size());
        for (size_t i = 0; i < expected.size(); i++) {
            wantH[i] = float_to_half(expected[i]);
        }
        report.check(std::string("dequant_f16_") + t.name, what, (double) bit_mismatches(h.download(), wantH), 0);
    }
}

static void test_dequantization(const std::string& golden) {
    Random rng(11);
    std::vector<float> input = as_floats(read_file(golden + "/input.f32"));
    for (const TypeInfo& t : all_types()) {
        const int rows = 5, cols = 512;
        std::vector<uint8_t> data;
        std::vector<float> expected;
        if (t.type == Type::F32) {
            data.resize(input.size() * 4);
            std::memcpy(data.data(), input.data(), data.size());
            expected = input;
        } else {
            data = read_file(golden + "/" + t.name + ".bin");
            expected = as_floats(read_file(golden + "/" + t.name + ".deq.f32"));
        }
        // the harness's own reference must reproduce ggml before it judges anything else
        report.check("reference dequantize (host)", t.name, (double) bit_mismatches(dequantize(t, data, rows, cols), expected), 0);
        check_dequant(t, data, rows, cols, expected, std::string("golden 5x512 ") + t.name, rng);
        // odd shapes: 37 rows, columns not a multiple of 1024 (and a row tail for one-value formats)
        int oddCols = t.blockValues == 256 ? 4352 : t.blockValues == 32 ? 4128 : 1003;
        std::vector<uint8_t> random = random_matrix(t, 37, oddCols, rng);
        check_dequant(t, random, 37, oddCols, dequantize(t, random, 37, oddCols), fmt("random 37x%d", oddCols), rng);
    }
}

static void test_conversions() {
    Random rng(12);
    std::vector<float> x = rng.floats(100003, -70000.0f, 70000.0f);
    const float specials[] = {0.0f, -0.0f, 1e-8f, -3e-6f, 6.1e-5f, 65504.0f, 65520.0f, 1e30f, INFINITY, -INFINITY, 0.33333334f};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
        x[i] = specials[i];
    }
    for (size_t i = 20; i < 50000; i++) {
        x[i] = rng.uniform(-2.0f, 2.0f) * std::pow(2.0f, (float) (rng.below(40) - 30));
    }
    long long n = (long long) x.size();
    DeviceBuffer<float> dx(x);
    DeviceBuffer<uint16_t> dy(x.size());
    std::vector<uint16_t> wantH(x.size()), wantB(x.size());
    for (size_t i = 0; i < x.size(); i++) {
        wantH[i] = float_to_half(x[i]);
        wantB[i] = float_to_bf16(x[i]);
    }
    LAUNCH(convert_f32_to_f16, dim3(blocks_for(n, 256)), dim3(256), 0, dx.ptr, dy.ptr, n);
    report.check("convert_f32_to_f16", "100003 values incl. subnormal/overflow", (double) bit_mismatches(dy.download(), wantH), 0);
    LAUNCH(convert_f32_to_bf16, dim3(7), dim3(256), 0, dx.ptr, dy.ptr, n); // grid-stride with a small grid
    report.check("convert_f32_to_bf16", "100003 values, 7 blocks", (double) bit_mismatches(dy.download(), wantB), 0);
    DeviceBuffer<uint16_t> hx(wantH);
    DeviceBuffer<float> back(x.size());
    LAUNCH(convert_f16_to_f32, dim3(blocks_for(n, 256)), dim3(256), 0, hx.ptr, back.ptr, n);
    std::vector<float> wantF(x.size());
    for (size_t i = 0; i < x.size(); i++) {
        wantF[i] = half_to_float(wantH[i]);
    }
    report.check("convert_f16_to_f32", "100003 values", (double) bit_mismatches(back.download(), wantF), 0);
}

// ---------------------------------------------------------------- matrix × vector

/** max over outputs of |y − Σ w·x| / Σ |w·x| (double reference). */
static double matvec_error(const std::vector<float>& w, const std::vector<float>& x, const std::vector<float>& y, int rows,
                           int cols, int n) {
    double worst = 0;
    for (int i = 0; i < n; i++) {
        for (int r = 0; r < rows; r++) {
            double s = 0, mag = 0;
            for (int c = 0; c < cols; c++) {
                double p = (double) w[(size_t) r * cols + c] * x[(size_t) i * cols + c];
                s += p;
                mag += std::fabs(p);
            }
            double got = y[(size_t) i * rows + r];
            double e = std::fabs(got - s) / (mag + 1e-30);
            if (!std::isfinite(got)) {
                return NAN;
            }
            worst = std::max(worst, e);
        }
    }
    return worst;
}

static void test_matvec() {
    Random rng(13);
    for (const TypeInfo& t : all_types()) {
        TypeKernels k = kernels_of(t.type);
        // Llama widths (4096, 14336), one block, a few blocks, and counts that leave part of a warp's
        // step of blocks empty (the q8 kernels put 2 or 8 lanes on a block, so a warp covers 16 or 4
        // blocks per step); 37 rows leave the last block of 4 rows with one.
        std::vector<int> colsList;
        if (t.blockValues == 256) colsList = {256, 768, 4096, 4352, 14336};
        else if (t.blockValues == 32) colsList = {32, 96, 4128, 14336};
        else colsList = {4096, 1003, 8}; // 16-byte aligned rows, odd rows with a tail, a tail only
        for (int cols : colsList) {
            const int rows = 37;
            long long rb = row_bytes(t, cols);
            std::vector<uint8_t> data = random_matrix(t, rows, cols, rng);
            std::vector<float> w = dequantize(t, data, rows, cols);
            DeviceBuffer<uint8_t> dw(data);
            for (int n = 1; n <= 8; n++) {
                std::vector<float> x = rng.floats((size_t) n * cols);
                DeviceBuffer<float> dx(x);
                DeviceBuffer<float> dy((size_t) n * rows);
                LAUNCH(k.matvec, dim3((rows + 3) / 4), dim3(128), 0, dw.ptr, dx.ptr, dy.ptr, rows, cols, rb, n);
                report.check(std::string("matvec_") + t.name, fmt("37x%d n=%d", cols, n),
                             matvec_error(w, x, dy.download(), rows, cols, n), 1e-5);
                if (n == 1) {
                    dy.poison();
                    LAUNCH(k.matvec1, dim3((rows + 3) / 4), dim3(128), 0, dw.ptr, dx.ptr, dy.ptr, rows, cols, rb);
                    report.check(std::string("matvec_") + t.name + "_n1", fmt("37x%d", cols),
                                 matvec_error(w, x, dy.download(), rows, cols, n), 1e-5);
                }
                if (k.matvecQ8 == nullptr) {
                    continue;
                }
                QuantizedRows q = quantize_rows(x, cols, n);
                DeviceBuffer<int8_t> dq((size_t) n * cols);
                DeviceBuffer<float> dds((size_t) n * cols / 32 * 2);
                LAUNCH(quantize_q8, dim3((cols + 127) / 128, n), dim3(128), 0, dx.ptr, (signed char*) dq.ptr, dds.ptr, cols, n);
                std::vector<float> ds = dds.download();
                report.check("quantize_q8", fmt("%d x %d levels", n, cols), (double) bit_mismatches(dq.download(), q.q), 0);
                double dsErr = 0;
                for (size_t b = 0; b < ds.size(); b++) {
                    dsErr = std::max(dsErr, std::fabs((double) ds[b] - q.ds[b]) / (std::fabs((double) q.ds[b]) + 1e-20));
                }
                report.check("quantize_q8", fmt("%d x %d scales and sums", n, cols), dsErr, 1e-6);
                LAUNCH(k.matvecQ8, dim3((rows + 3) / 4), dim3(128), 0, dw.ptr, (const signed char*) dq.ptr, dds.ptr, dy.ptr,
                       rows, cols, rb, n);
                std::vector<float> y8 = dy.download();
                if (n == 1) {
                    dy.poison();
                    LAUNCH(k.matvecQ81, dim3((rows + 3) / 4), dim3(128), 0, dw.ptr, (const signed char*) dq.ptr, dds.ptr, dy.ptr,
                           rows, cols, rb);
                    report.check(std::string("matvec_q8_") + t.name + "_n1", fmt("37x%d vs 8-bit x", cols),
                                 matvec_error(w, q.dequantized, dy.download(), rows, cols, n), 1e-5);
                }
                report.check(std::string("matvec_q8_") + t.name, fmt("37x%d n=%d vs 8-bit x", cols, n),
                             matvec_error(w, q.dequantized, y8, rows, cols, n), 1e-5);
                // how far the 8-bit activations move the result from the float path (information; loose sanity bound)
                double drift = matvec_error(w, x, y8, rows, cols, n);
                report.check(std::string("matvec_q8_") + t.name, fmt("37x%d n=%d vs float x", cols, n), drift, 0.05);
                static std::map<std::string, double> worstDrift;
                double& worst = worstDrift[t.name];
                worst = std::max(worst, drift);
                report.note(std::string("matvec_q8_") + t.name, fmt("8-bit x moves y by <= %.2g of sum|wx|", worst));
            }
        }
    }
}

// ---------------------------------------------------------------- norms, activations, elementwise

/** Largest relative difference |a − b| / max(|b|, floor). */
static double rel_error(const std::vector<float>& a, const std::vector<float>& b, double floor = 1e-30) {
    double worst = 0;
    for (size_t i = 0; i < a.size(); i++) {
        if (!std::isfinite(a[i]) && !(std::isinf(a[i]) && a[i] == b[i])) {
            return NAN;
        }
        worst = std::max(worst, std::fabs((double) a[i] - b[i]) / std::max(std::fabs((double) b[i]), floor));
    }
    return worst;
}

static float host_gelu(float x) {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    float h = round_half(x);
    float inner = (0.7978845608f * h) * (1.0f + (0.044715f * h) * h);
    float t = (float) std::tanh((double) inner);
    return round_half((0.5f * h) * (1.0f + t));
}

static void test_elementwise() {
    Random rng(14);
    {
        const int rows = 37, width = 1003;
        std::vector<float> y = rng.floats((size_t) rows * width), b = rng.floats(width);
        DeviceBuffer<float> dy(y), db(b);
        LAUNCH(add_bias, dim3(blocks_for((long long) rows * width, 256)), dim3(256), 0, dy.ptr, db.ptr, rows, width);
        std::vector<float> want = y;
        for (int r = 0; r < rows; r++) for (int c = 0; c < width; c++) want[(size_t) r * width + c] += b[c];
        report.check("add_bias", "37x1003", (double) bit_mismatches(dy.download(), want), 0);
    }
    {
        long long n = 100001;
        std::vector<float> a = rng.floats(n), y = rng.floats(n);
        DeviceBuffer<float> da(a), dy(y);
        LAUNCH(add, dim3(13), dim3(256), 0, da.ptr, dy.ptr, n);
        std::vector<float> want(n);
        for (long long i = 0; i < n; i++) want[i] = y[i] + a[i];
        report.check("add", "100001, 13 blocks", (double) bit_mismatches(dy.download(), want), 0);
        LAUNCH(scale, dim3(blocks_for(n, 256)), dim3(256), 0, dy.ptr, 0.37f, n);
        for (long long i = 0; i < n; i++) want[i] = want[i] * 0.37f;
        report.check("scale", "100001", (double) bit_mismatches(dy.download(), want), 0);
    }
    // RMSNorm and LayerNorm: rows of the model width and per-head rows (Qwen 3's Q/K norm)
    struct Shape { int rows, width, threads; };
    // rows held in registers (up to 32 values a thread) and, at 9001 with 256 threads, the plain loops
    for (Shape s : {Shape{37, 4097, 256}, Shape{1, 4096, 256}, Shape{96, 128, 128}, Shape{3, 64, 32}, Shape{2, 9001, 256},
                    Shape{2, 1030, 32}}) {
        std::vector<float> x = rng.floats((size_t) s.rows * s.width, -3.0f, 3.0f), w = rng.floats(s.width), b = rng.floats(s.width);
        float eps = 1e-5f;
        std::vector<float> wantR(x.size()), wantL(x.size()), wantL0(x.size());
        for (int r = 0; r < s.rows; r++) {
            const float* xr = &x[(size_t) r * s.width];
            double ss = 0, sum = 0;
            for (int c = 0; c < s.width; c++) { ss += (double) (xr[c] * xr[c]); sum += xr[c]; }
            float inv = (float) (1.0 / std::sqrt(ss / s.width + eps));
            float mean = (float) (sum / s.width);
            double var = 0;
            for (int c = 0; c < s.width; c++) { float d = xr[c] - mean; var += (double) (d * d); }
            float invL = (float) (1.0 / std::sqrt(var / s.width + eps));
            for (int c = 0; c < s.width; c++) {
                wantR[(size_t) r * s.width + c] = (xr[c] * inv) * w[c];
                float v = ((xr[c] - mean) * invL) * w[c];
                wantL[(size_t) r * s.width + c] = v + b[c];
                wantL0[(size_t) r * s.width + c] = v;
            }
        }
        DeviceBuffer<float> dx(x), dw(w), db(b), dout(x.size());
        std::string what = fmt("%dx%d, %d threads", s.rows, s.width, s.threads);
        LAUNCH(rms_norm, dim3(s.rows), dim3(s.threads), 0, dx.ptr, dw.ptr, dout.ptr, s.rows, s.width, eps);
        report.check("rms_norm", what, rel_error(dout.download(), wantR, 1e-3), 5e-7);
        LAUNCH(rms_norm, dim3(s.rows), dim3(s.threads), 0, dx.ptr, dw.ptr, dx.ptr, s.rows, s.width, eps);
        report.check("rms_norm", what + " in place", rel_error(dx.download(), wantR, 1e-3), 5e-7);
        dx.upload(x);
        LAUNCH(layer_norm, dim3(s.rows), dim3(s.threads), 0, dx.ptr, dw.ptr, db.ptr, dout.ptr, s.rows, s.width, eps);
        report.check("layer_norm", what + " bias", rel_error(dout.download(), wantL, 1e-3), 5e-7);
        LAUNCH(layer_norm, dim3(s.rows), dim3(s.threads), 0, dx.ptr, dw.ptr, (const float*) nullptr, dx.ptr, s.rows, s.width, eps);
        report.check("layer_norm", what + " no bias, in place", rel_error(dx.download(), wantL0, 1e-3), 5e-7);
    }
    {
        long long n = 20011;
        std::vector<float> g = rng.floats(n, -12.0f, 12.0f), u = rng.floats(n, -2.0f, 2.0f);
        g[0] = -10.0f; g[1] = 10.0f; g[2] = 0.0f; g[3] = -9.999f; g[4] = 1e-7f;
        std::vector<float> wantS(n), wantG(n), wantGelu(n), wantCap(n);
        for (long long i = 0; i < n; i++) {
            float silu = g[i] / (1.0f + (float) std::exp(-(double) g[i]));
            wantS[i] = u[i] * silu;
            wantG[i] = u[i] * host_gelu(g[i]);
            wantGelu[i] = host_gelu(g[i]);
            wantCap[i] = 30.0f * (float) std::tanh((double) (g[i] * 4.0f / 30.0f));
        }
        DeviceBuffer<float> dg(g), du(u);
        LAUNCH(swiglu, dim3(blocks_for(n, 256)), dim3(256), 0, dg.ptr, du.ptr, n);
        std::vector<float> got = du.download();
        report.check("swiglu", "20011 in [-12, 12]", rel_error(got, wantS, 1e-6), 3e-7);
        report.note("swiglu", fmt("%zu of %lld bit-exact", n - bit_mismatches(got, wantS), n));
        du.upload(u);
        LAUNCH(geglu, dim3(blocks_for(n, 256)), dim3(256), 0, dg.ptr, du.ptr, n);
        got = du.download();
        report.check("geglu", "20011 in [-12, 12]", rel_error(got, wantG, 1e-6), 3e-7);
        report.note("geglu", fmt("%zu of %lld bit-exact", n - bit_mismatches(got, wantG), n));
        LAUNCH(gelu_inplace, dim3(blocks_for(n, 256)), dim3(256), 0, dg.ptr, n);
        got = dg.download();
        report.check("gelu_inplace", "20011 incl. +-10 clamps", rel_error(got, wantGelu, 1e-6), 3e-7);
        report.note("gelu_inplace", fmt("%zu of %lld bit-exact", n - bit_mismatches(got, wantGelu), n));
        std::vector<float> capIn(n);
        for (long long i = 0; i < n; i++) capIn[i] = g[i] * 4.0f;
        DeviceBuffer<float> dc(capIn);
        LAUNCH(soft_cap, dim3(blocks_for(n, 256)), dim3(256), 0, dc.ptr, n, 30.0f);
        got = dc.download();
        report.check("soft_cap", "20011, cap 30", rel_error(got, wantCap, 1e-6), 3e-7);
        report.note("soft_cap", fmt("%zu of %lld bit-exact", n - bit_mismatches(got, wantCap), n));
    }
}

// ---------------------------------------------------------------- RoPE and the KV cache

static void host_rotate(const float* src, float* dst, int heads, int headDim, int rotaryDims, bool neox, double position,
                        const std::vector<double>& invFreq, float magnitude) {
    std::vector<float> tmp(src, src + (size_t) heads * headDim);
    for (int k = 0; k < rotaryDims / 2; k++) {
        double angle = position * invFreq[k];
        float c = (float) std::cos(angle) * magnitude;
        float s = (float) std::sin(angle) * magnitude;
        int a = neox ? k : 2 * k, b = neox ? k + rotaryDims / 2 : 2 * k + 1;
        for (int h = 0; h < heads; h++) {
            float x0 = tmp[h * headDim + a], x1 = tmp[h * headDim + b];
            dst[h * headDim + a] = x0 * c - x1 * s;
            dst[h * headDim + b] = x0 * s + x1 * c;
        }
    }
    for (int h = 0; h < heads; h++) {
        for (int c = rotaryDims; c < headDim; c++) dst[h * headDim + c] = tmp[h * headDim + c];
    }
}

static std::vector<double> inverse_frequencies(int rotaryDims, double base) {
    std::vector<double> f(rotaryDims / 2);
    for (int i = 0; i < rotaryDims / 2; i++) f[i] = std::pow(base, -2.0 * i / rotaryDims);
    return f;
}

static void test_rope() {
    Random rng(15);
    struct Case { int headDim, rotaryDims, neox; float magnitude; bool inPlace; };
    for (Case c : {Case{64, 64, 0, 1.0f, false}, Case{64, 64, 1, 1.0f, true}, Case{80, 32, 1, 1.0f, false},
                   Case{128, 128, 0, 1.1f, true}, Case{96, 48, 0, 1.0f, true}}) {
        const int rows = 7, heads = 3;
        long long srcStride = heads * c.headDim + 5, dstStride = c.inPlace ? srcStride : heads * c.headDim + 3;
        std::vector<float> src = rng.floats(rows * srcStride);
        std::vector<double> positions = {0.0, 1.0, 2.5, 1000.0, 31999.75, 131071.0, 7.0 / 3.0};
        std::vector<double> invFreq = inverse_frequencies(c.rotaryDims, 500000.0);
        DeviceBuffer<float> ds(src), dd(rows * dstStride);
        DeviceBuffer<double> dp(positions), df(invFreq);
        float* dst = c.inPlace ? ds.ptr : dd.ptr;
        LAUNCH(rope, dim3(rows), dim3(64), 0, ds.ptr, dst, rows, heads, c.headDim, c.rotaryDims, c.neox, dp.ptr, df.ptr,
               c.magnitude, srcStride, dstStride);
        std::vector<float> got = c.inPlace ? ds.download() : dd.download();
        double err = 0;
        for (int i = 0; i < rows; i++) {
            std::vector<float> want(heads * c.headDim);
            host_rotate(&src[i * srcStride], want.data(), heads, c.headDim, c.rotaryDims, c.neox, positions[i], invFreq, c.magnitude);
            for (int e = 0; e < heads * c.headDim; e++) err = std::max(err, (double) std::fabs(got[i * dstStride + e] - want[e]));
        }
        report.check("rope", fmt("hd %d rot %d %s%s", c.headDim, c.rotaryDims, c.neox ? "neox" : "adjacent", c.inPlace ? " in place" : ""),
                     err, 2e-6);
    }
}

template <typename T> struct CacheType;
template <> struct CacheType<float> {
    static constexpr const char* name = "f32";
    static float to(float v) { return v; }
    static float from(float v) { return v; }
};
template <> struct CacheType<uint16_t> {
    static constexpr const char* name = "f16";
    static uint16_t to(float v) { return float_to_half(v); }
    static float from(uint16_t v) { return half_to_float(v); }
};

template <typename T>
static std::vector<T> to_cache(const std::vector<float>& v) {
    std::vector<T> out(v.size());
    for (size_t i = 0; i < v.size(); i++) out[i] = CacheType<T>::to(v[i]);
    return out;
}

template <typename T> struct KvKernels;
template <> struct KvKernels<float> {
    static constexpr auto store = store_kv_f32;
    static constexpr auto ring = store_ring_f32;
    static constexpr auto rotate = rotate_cached_keys_f32;
};
template <> struct KvKernels<uint16_t> {
    static constexpr auto store = store_kv_f16;
    static constexpr auto ring = store_ring_f16;
    static constexpr auto rotate = rotate_cached_keys_f16;
};

template <typename T>
static void test_kv_type() {
    typedef KvKernels<T> KK;
    typedef typename std::conditional<std::is_same<T, float>::value, float, unsigned short>::type DT;
    const char* tn = CacheType<T>::name;
    Random rng(16);
    const int kvHeads = 3, headDim = 40, capacity = 50, n = 11, start = 17;
    long long stride = kvHeads * headDim + 7;
    std::vector<float> src = rng.floats(n * stride);
    DeviceBuffer<float> ds(src);
    DeviceBuffer<T> cache((size_t) kvHeads * capacity * headDim);
    std::vector<T> before = cache.download();
    LAUNCH(KK::store, dim3(n), dim3(128), 0, ds.ptr, (DT*) cache.ptr, n, kvHeads, headDim, (long long) capacity, start, stride);
    std::vector<T> want = before;
    for (int i = 0; i < n; i++)
        for (int h = 0; h < kvHeads; h++)
            for (int d = 0; d < headDim; d++)
                want[((size_t) h * capacity + start + i) * headDim + d] = CacheType<T>::to(src[i * stride + h * headDim + d]);
    report.check(std::string("store_kv_") + tn, "11 rows at 17, others untouched", (double) bit_mismatches(cache.download(), want), 0);

    const int slots = 4;
    DeviceBuffer<T> ring((size_t) kvHeads * slots * headDim);
    std::vector<T> ringWant = ring.download();
    LAUNCH(KK::ring, dim3(n), dim3(128), 0, ds.ptr, (DT*) ring.ptr, n, kvHeads, headDim, slots, start, stride);
    for (int i = n - slots; i < n; i++)
        for (int h = 0; h < kvHeads; h++)
            for (int d = 0; d < headDim; d++)
                ringWant[((size_t) h * slots + (start + i) % slots) * headDim + d] = CacheType<T>::to(src[i * stride + h * headDim + d]);
    report.check(std::string("store_ring_") + tn, "11 rows into 4 slots", (double) bit_mismatches(ring.download(), ringWant), 0);

    // re-rotation: positions 20..26 of every head by deltas, zero delta untouched
    std::vector<float> keys = rng.floats((size_t) kvHeads * capacity * headDim);
    std::vector<T> keysT = to_cache<T>(keys);
    DeviceBuffer<T> dk(keysT);
    std::vector<double> deltas = {3.0, -5.0, 0.0, 1024.0, -0.5, 7.0, 100000.0};
    std::vector<double> invFreq = inverse_frequencies(32, 10000.0);
    DeviceBuffer<double> dd(deltas), df(invFreq);
    for (int neox = 0; neox < 2; neox++) {
        dk.upload(keysT);
        LAUNCH(KK::rotate, dim3((unsigned) deltas.size()), dim3(64), 0, (DT*) dk.ptr, (long long) capacity, kvHeads, headDim, 32,
               neox, 20, (int) deltas.size(), dd.ptr, df.ptr, 1.0f);
        std::vector<T> got = dk.download();
        double err = 0;
        for (int h = 0; h < kvHeads; h++) {
            for (int p = 0; p < capacity; p++) {
                size_t off = ((size_t) h * capacity + p) * headDim;
                std::vector<float> k(headDim), r(headDim);
                for (int d = 0; d < headDim; d++) k[d] = CacheType<T>::from(keysT[off + d]);
                int i = p - 20;
                if (i >= 0 && i < (int) deltas.size() && deltas[i] != 0.0) {
                    host_rotate(k.data(), r.data(), 1, headDim, 32, neox, deltas[i], invFreq, 1.0f);
                } else {
                    r = k;
                }
                for (int d = 0; d < headDim; d++) {
                    float want1 = CacheType<T>::from(CacheType<T>::to(r[d]));
                    err = std::max(err, (double) std::fabs(CacheType<T>::from(got[off + d]) - want1));
                }
            }
        }
        // an f16 result may round the other way when the float differs in its last bit
        report.check(std::string("rotate_cached_keys_") + tn, neox ? "neox, 7 deltas" : "adjacent, 7 deltas", err,
                     std::is_same<T, float>::value ? 2e-6 : 1e-3);
    }
}

// ---------------------------------------------------------------- fused attention

/** One attention call's inputs on the host (floats; the cache arrays hold T-rounded values). */
struct AttentionInputs {
    int n, start, heads, kvHeads, headDim, capacity, window, farKeyLimit, nearFromRing, span, ringSlots;
    int chunk = 0;
    float scale, softCap;
    std::vector<float> q0, q1, q2;   // n × heads·headDim (q2 only under chunks)
    std::vector<float> K, V;         // [kvHead][capacity][headDim], T-rounded
    std::vector<float> ring;         // [kvHead][ringSlots][headDim], T-rounded
    std::vector<float> batchKeys;    // n × kvHeads·headDim (F32 as given)
};

/**
 * Which key a query sees and as what, from the scheme's definition (not the kernels' range arithmetic):
 * 0 masked, 1 near (q0), 2 far (q1), 3 successive (q2).
 */
static int reference_kind(const AttentionInputs& a, int p, int j) {
    if (j > p) return 0;
    if (a.span != LONGLM_INT_MAX && p - j >= a.span) return 0;
    if (a.chunk > 0) {                      // DCA: the query's own chunk, the chunk before, the earlier ones
        int cp = p / a.chunk, cj = j / a.chunk;
        if (cj == cp) return 1;
        if (cj == cp - 1) return 3;
        return j < a.farKeyLimit ? 2 : 0;
    }
    if (a.window == 0) return 1;
    if (p - j < a.window) return 1;        // neighbour window: true positions
    return j < a.farKeyLimit ? 2 : 0;       // grouped positions, or evicted (StreamingLLM)
}

/** Double-precision attention; q and batch keys optionally rounded to f16 as the tensor-core kernel sees them. */
template <typename T>
static std::vector<float> reference_attention(const AttentionInputs& a) {
    int D = a.headDim, group = a.heads / a.kvHeads, kvDim = a.kvHeads * D;
    std::vector<float> out((size_t) a.n * a.heads * D);
    std::vector<double> score, acc(D);
    for (int i = 0; i < a.n; i++) {
        int p = a.start + i;
        for (int h = 0; h < a.heads; h++) {
            int g = h / group;
            const float* q0 = &a.q0[((size_t) i * a.heads + h) * D];
            const float* q1 = &a.q1[((size_t) i * a.heads + h) * D];
            const float* q2 = a.chunk > 0 ? &a.q2[((size_t) i * a.heads + h) * D] : nullptr;
            score.assign(p + 1, -INFINITY);
            double mx = -INFINITY;
            for (int j = 0; j <= p; j++) {
                int kind = reference_kind(a, p, j);
                if (kind == 0) continue;
                const float* q = kind == 2 ? q1 : kind == 3 ? q2 : q0;
                std::vector<float> key(D);
                for (int d = 0; d < D; d++) {
                    float v;
                    if (kind == 2 || a.window == 0 || !a.nearFromRing) {
                        v = a.K[((size_t) g * a.capacity + j) * D + d];
                    } else if (j >= a.start) {
                        v = CacheType<T>::from(CacheType<T>::to(a.batchKeys[(size_t) (j - a.start) * kvDim + g * D + d]));
                    } else {
                        v = a.ring[((size_t) g * a.ringSlots + j % a.ringSlots) * D + d];
                    }
                    key[d] = v;
                }
                double dot = 0;
                for (int d = 0; d < D; d++) dot += (double) q[d] * key[d];
                double s = dot * a.scale;
                if (a.softCap > 0) s = a.softCap * std::tanh(s / a.softCap);
                score[j] = s;
                mx = std::max(mx, s);
            }
            std::fill(acc.begin(), acc.end(), 0.0);
            double sum = 0;
            for (int j = 0; j <= p; j++) {
                if (score[j] == -INFINITY) continue;
                double w = std::exp(score[j] - mx);
                sum += w;
                for (int d = 0; d < D; d++) acc[d] += w * a.V[((size_t) g * a.capacity + j) * D + d];
            }
            for (int d = 0; d < D; d++) out[((size_t) i * a.heads + h) * D + d] = (float) (acc[d] / sum);
        }
    }
    return out;
}

enum class AttentionKernel { SimtF32, SimtF16, MmaPrefill, MmaDecode };

static const char* kernel_label(AttentionKernel k) {
    switch (k) {
        case AttentionKernel::SimtF32: return "attention_simt_f32";
        case AttentionKernel::SimtF16: return "attention_simt_f16";
        case AttentionKernel::MmaPrefill: return "attention_mma_f16_hd*";
        case AttentionKernel::MmaDecode: return "attention_mma_decode_f16_hd*";
    }
    return "?";
}

typedef void (*MmaKernel)(const float*, const float*, const float*, const unsigned short*, const unsigned short*, long long,
                          const unsigned short*, int, const float*, float*, float*, int, int, int, int, int, int, int, int, int,
                          int, float, float, int);

struct MmaVariant {
    MmaKernel kernel;
    size_t sharedBytes;
    int rowsPerBlock;
    int tileKeys;
};

template <int D, int WARPS, int BN>
static MmaVariant mma_variant(MmaKernel k) {
    return {k, (size_t) MmaShape<D, WARPS, BN>::SHARED_HALVES * 2, 16 * WARPS, BN};
}

static bool mma_lookup(int headDim, bool decode, MmaVariant* v) {
#define LONGLM_CASE(D, BN) \
    case D: *v = decode ? mma_variant<D, 1, 32>(attention_mma_decode_f16_hd##D) : mma_variant<D, 4, BN>(attention_mma_f16_hd##D); return true;
    switch (headDim) {
        LONGLM_CASE(16, 64) LONGLM_CASE(32, 64) LONGLM_CASE(64, 64) LONGLM_CASE(80, 64) LONGLM_CASE(96, 64)
        LONGLM_CASE(128, 64) LONGLM_CASE(256, 32)
        default: return false;
    }
#undef LONGLM_CASE
}

template <typename T> struct SimtKernel;
template <> struct SimtKernel<float> { static constexpr auto kernel = attention_simt_f32; };
template <> struct SimtKernel<uint16_t> { static constexpr auto kernel = attention_simt_f16; };

/** Device-side buffers of one attention setting, in the cache type T. */
template <typename T>
struct DeviceAttention {
    DeviceBuffer<float> q0, q1, q2, batchKeys, out, workspace;
    DeviceBuffer<T> K, V, ring;
};

/**
 * Launches one attention call with the given kernel and split count (the combine kernel too when
 * splits > 1) and returns the output.
 */
template <typename T>
static std::vector<float> run_attention(AttentionKernel kind, const AttentionInputs& a, DeviceAttention<T>& d, int splits) {
    int group = a.heads / a.kvHeads;
    int rows = a.n * group;
    size_t ws = splits > 1 ? (size_t) splits * a.n * a.heads * (a.headDim + 2) : 1;
    if (d.workspace.count < ws) d.workspace = DeviceBuffer<float>(ws);
    d.out.poison();
    d.workspace.poison();
    if (kind == AttentionKernel::SimtF32 || kind == AttentionKernel::SimtF16) {
        dim3 grid((rows + LONGLM_SIMT_ROWS - 1) / LONGLM_SIMT_ROWS, splits, a.kvHeads);
        LAUNCH(SimtKernel<T>::kernel, grid, dim3(128), 0, d.q0.ptr, d.q1.ptr, d.q2.ptr, d.K.ptr, d.V.ptr, (long long) a.capacity,
               d.ring.ptr, a.ringSlots, d.batchKeys.ptr, d.out.ptr, d.workspace.ptr, a.n, a.start, a.heads, a.kvHeads, a.headDim,
               a.window, a.farKeyLimit, a.nearFromRing, a.chunk, a.span, a.scale, a.softCap, splits);
    } else {
        if constexpr (std::is_same<T, uint16_t>::value) {
            MmaVariant v;
            if (!mma_lookup(a.headDim, kind == AttentionKernel::MmaDecode, &v)) {
                std::fprintf(stderr, "no tensor-core kernel for head size %d\n", a.headDim);
                std::exit(2);
            }
            allow_shared(v.kernel, v.sharedBytes);
            dim3 grid((rows + v.rowsPerBlock - 1) / v.rowsPerBlock, splits, a.kvHeads);
            LAUNCH(v.kernel, grid, dim3(v.rowsPerBlock * 2), v.sharedBytes, d.q0.ptr, d.q1.ptr, d.q2.ptr, d.K.ptr, d.V.ptr,
                   (long long) a.capacity, d.ring.ptr, a.ringSlots, d.batchKeys.ptr, d.out.ptr, d.workspace.ptr, a.n, a.start,
                   a.heads, a.kvHeads, a.headDim, a.window, a.farKeyLimit, a.nearFromRing, a.chunk, a.span, a.scale, a.softCap,
                   splits);
        }
    }
    if (splits > 1) {
        LAUNCH(attention_combine, dim3(a.n * a.heads), dim3(128), 0, d.workspace.ptr, d.out.ptr, a.n, a.heads, a.headDim, splits);
    }
    return d.out.download();
}

template <typename T>
static void upload_attention(const AttentionInputs& a, DeviceAttention<T>& d) {
    d.q0 = DeviceBuffer<float>(a.q0);
    d.q1 = DeviceBuffer<float>(a.q1);
    d.q2 = DeviceBuffer<float>(a.chunk > 0 ? a.q2 : a.q0); // read only under chunks
    d.batchKeys = DeviceBuffer<float>(a.batchKeys);
    d.out = DeviceBuffer<float>((size_t) a.n * a.heads * a.headDim);
    d.K = DeviceBuffer<T>(to_cache<T>(a.K));
    d.V = DeviceBuffer<T>(to_cache<T>(a.V));
    d.ring = DeviceBuffer<T>(to_cache<T>(a.ring));
}

struct Scheme {
    const char* name;
    int window, farKeyLimit, nearFromRing, span;
    float softCap;
    int chunk = 0;
};

/** Random inputs for one call; cache positions at and beyond start + n stay NaN (never to be read). */
template <typename T>
static AttentionInputs random_attention(Random& rng, int n, int start, int heads, int kvHeads, int headDim, const Scheme& s) {
    AttentionInputs a;
    a.n = n; a.start = start; a.heads = heads; a.kvHeads = kvHeads; a.headDim = headDim;
    a.capacity = start + n + 9;
    a.window = s.window; a.farKeyLimit = s.farKeyLimit; a.nearFromRing = s.nearFromRing; a.span = s.span; a.chunk = s.chunk;
    a.ringSlots = std::max(1, s.window);
    a.scale = 1.0f / std::sqrt((float) headDim);
    a.softCap = s.softCap;
    a.q0 = rng.floats((size_t) n * heads * headDim, -3.0f, 3.0f);
    a.q1 = rng.floats((size_t) n * heads * headDim, -3.0f, 3.0f);
    a.K.assign((size_t) kvHeads * a.capacity * headDim, NAN);
    a.V.assign(a.K.size(), NAN);
    for (int g = 0; g < kvHeads; g++) {
        for (int j = 0; j < start + n; j++) {
            for (int e = 0; e < headDim; e++) {
                size_t off = ((size_t) g * a.capacity + j) * headDim + e;
                a.K[off] = CacheType<T>::from(CacheType<T>::to(rng.uniform()));
                a.V[off] = CacheType<T>::from(CacheType<T>::to(rng.uniform()));
            }
        }
    }
    a.ring.resize((size_t) kvHeads * a.ringSlots * headDim);
    for (auto& v : a.ring) v = CacheType<T>::from(CacheType<T>::to(rng.uniform()));
    a.batchKeys = rng.floats((size_t) n * kvHeads * headDim);
    if (s.chunk > 0) {
        a.q2 = rng.floats((size_t) n * heads * headDim, -3.0f, 3.0f);
    }
    return a;
}

static double attention_tolerance(AttentionKernel) {
    // F32 accumulation only, on every path: the tensor-core kernels take the queries and probabilities
    // as two f16 terms each (attention_mma.cu). Rounding either to one term, as they once did, gives
    // errors of about 1.5e-4 (probabilities) here, which this bound catches.
    return 3e-5;
}

template <typename T>
static void attention_case(AttentionKernel kind, Random& rng, int n, int start, int heads, int kvHeads, int headDim,
                           const Scheme& s, std::vector<int> splitsList) {
    AttentionInputs a = random_attention<T>(rng, n, start, heads, kvHeads, headDim, s);
    DeviceAttention<T> d;
    upload_attention(a, d);
    std::vector<float> want = reference_attention<T>(a);
    for (int splits : splitsList) {
        std::vector<float> got = run_attention(kind, a, d, splits);
        report.check(kernel_label(kind),
                     fmt("%s n=%d start=%d h=%d/%d hd=%d splits=%d", s.name, n, start, heads, kvHeads, headDim, splits),
                     max_abs_diff(got, want), attention_tolerance(kind));
    }
}

static const Scheme kPlain = {"plain", 0, LONGLM_INT_MAX, 0, LONGLM_INT_MAX, 0.0f};

/** The scheme settings every kernel is tried with (W deliberately not a multiple of any tile). */
static std::vector<Scheme> schemes() {
    return {
            kPlain,
            {"self-extend W=24", 24, LONGLM_INT_MAX, 1, LONGLM_INT_MAX, 0.0f},
            {"self-extend W=72", 72, LONGLM_INT_MAX, 1, LONGLM_INT_MAX, 0.0f},
            {"streaming sinks=4 recent=20", 20, 4, 0, LONGLM_INT_MAX, 0.0f},
            {"plain span=37", 0, LONGLM_INT_MAX, 0, 37, 0.0f},
            {"self-extend W=24 span=61", 24, LONGLM_INT_MAX, 1, 61, 0.0f},
            {"plain softcap=50", 0, LONGLM_INT_MAX, 0, LONGLM_INT_MAX, 50.0f},
            {"self-extend W=40 softcap=20", 40, LONGLM_INT_MAX, 1, LONGLM_INT_MAX, 20.0f},
            // chunks (DCA): s below, near and above the key tiles, none a multiple of one; s = 5 puts the
            // rows of one tile of queries in several chunks
            {"dca s=40", 0, LONGLM_INT_MAX, 0, LONGLM_INT_MAX, 0.0f, 40},
            {"dca s=5", 0, LONGLM_INT_MAX, 0, LONGLM_INT_MAX, 0.0f, 5},
            {"dca s=70 span=61 softcap=30", 0, LONGLM_INT_MAX, 0, 61, 30.0f, 70},
    };
}

template <typename T>
static void test_attention_kernel(AttentionKernel kind, bool quick) {
    Random rng(100 + (int) kind);
    bool decode = kind == AttentionKernel::MmaDecode;
    std::vector<int> dims = kind == AttentionKernel::SimtF32 || kind == AttentionKernel::SimtF16
                                    ? std::vector<int>{8, 32, 80, 128}
                                    : std::vector<int>{16, 32, 64, 80, 96, 128, 256};
    // every scheme, GQA 1/2/4/8, at once and with start > 0 (near keys from the ring)
    for (const Scheme& s : schemes()) {
        struct Shape { int n, start, heads, kvHeads, headDim; };
        std::vector<Shape> shapes = decode ? std::vector<Shape>{{1, 0, 4, 4, 32}, {1, 150, 8, 2, 64}, {3, 97, 8, 1, 32}, {2, 40, 16, 2, 128}}
                                           : std::vector<Shape>{{37, 0, 4, 4, 32}, {53, 90, 8, 4, 64}, {8, 130, 8, 1, 32}, {70, 3, 4, 2, 128}};
        for (Shape sh : shapes) {
            attention_case<T>(kind, rng, sh.n, sh.start, sh.heads, sh.kvHeads, sh.headDim, s, {1, 3});
        }
    }
    // head sizes
    const Scheme dca = {"dca s=23", 0, LONGLM_INT_MAX, 0, LONGLM_INT_MAX, 0.0f, 23};
    for (int hd : dims) {
        attention_case<T>(kind, rng, decode ? 2 : 21, 45, 4, 2, hd, dca, {1});
        if (quick && hd == 256 && !decode) continue;
        attention_case<T>(kind, rng, decode ? 2 : 21, 45, 4, 2, hd, schemes()[1], {1});
        attention_case<T>(kind, rng, decode ? 1 : 19, 5, 4, 2, hd, kPlain, {1});
    }
    // decoding at depth with several splits
    int depth = quick ? 1500 : 4200;
    Scheme deepSE = {"self-extend W=1024", 1024, LONGLM_INT_MAX, 1, LONGLM_INT_MAX, 0.0f};
    Scheme deepDca = {"dca s=500", 0, LONGLM_INT_MAX, 0, LONGLM_INT_MAX, 0.0f, 500};
    if (kind != AttentionKernel::MmaPrefill) {
        attention_case<T>(kind, rng, 1, depth, 8, 2, 128, kPlain, {1, 7, 32});
        attention_case<T>(kind, rng, 1, depth, 8, 2, 128, deepSE, {1, 7, 32});
        attention_case<T>(kind, rng, 1, depth, 8, 2, 128, deepDca, {1, 7, 32});
    } else {
        attention_case<T>(kind, rng, 40, depth, 8, 2, 64, deepSE, {1, 5});
        attention_case<T>(kind, rng, 40, depth, 8, 2, 64, deepDca, {1, 5});
    }
}

#include "positions.h"

/** One call under a position scheme: the kernel on the engine's per-copy rotations against the pair-rule reference. */
template <typename T>
static void positional_case(AttentionKernel kind, Random& rng, int n, int start, int heads, int kvHeads, int headDim,
                            const HostScheme& s, std::vector<int> splitsList) {
    RawSequence r(rng, start + n, heads, kvHeads, headDim, (start & 1) != 0); // both RoPE layouts across the cases
    AttentionInputs a = positional_inputs<T>(r, s, n, start);
    DeviceAttention<T> d;
    upload_attention(a, d);
    std::vector<float> want = positional_reference<T>(r, s, n, start);
    for (int splits : splitsList) {
        std::vector<float> got = run_attention(kind, a, d, splits);
        report.check(std::string("positions ") + kernel_label(kind),
                     fmt("%s n=%d start=%d h=%d/%d hd=%d splits=%d", s.name.c_str(), n, start, heads, kvHeads, headDim, splits),
                     max_abs_diff(got, want), attention_tolerance(kind));
    }
}

/**
 * The schemes with their RoPE positions (positions.h): DCA with chunk sizes below, at and above the
 * key tiles (a multiple of the 64-key tile once, with w = s), a span and a soft-cap; ReRoPE and Leaky
 * ReRoPE (the sliding-window kind with other positions); Self-Extend. start > 0, so the ring and the
 * chunks before this call's are read; GQA 1, 2, 4, 8.
 */
template <typename T>
static void test_attention_positions(AttentionKernel kind, bool quick) {
    Random rng(300 + (int) kind);
    bool decode = kind == AttentionKernel::MmaDecode;
    bool mma = kind == AttentionKernel::MmaPrefill || decode;
    std::vector<HostScheme> list = {dca_positions(37, 11), dca_positions(64, 64), with_span(dca_positions(23, 5), 40),
                                    with_soft_cap(dca_positions(50, 30), 20), rerope_positions(24), leaky_rerope_positions(24, 2.5),
                                    self_extend_positions(4, 24)};
    struct Shape { int n, start, heads, kvHeads, headDim; };
    std::vector<Shape> shapes = decode ? std::vector<Shape>{{1, 150, 8, 2, 64}, {3, 97, 8, 1, 32}, {2, 40, 16, 2, 128}}
                                       : std::vector<Shape>{{53, 90, 8, 4, 64}, {70, 3, 4, 1, 32}, {9, 130, 8, 8, 128}};
    for (const HostScheme& s : list) {
        for (Shape sh : shapes) {
            positional_case<T>(kind, rng, sh.n, sh.start, sh.heads, sh.kvHeads, sh.headDim, s, {1, 3});
        }
    }
    // the tensor-core kernels keep the queries of head size 256 in shared memory, refilled per range
    if (mma) {
        positional_case<T>(kind, rng, decode ? 2 : 21, 45, 4, 2, 256, dca_positions(23, 10), {1, 2});
    }
    // decoding (and a prefill chunk) at depth with splits: several chunks, s not a multiple of a tile
    int depth = quick ? 1500 : 4200;
    for (const HostScheme& s : {dca_positions(500, 200), leaky_rerope_positions(1024, 3.0)}) {
        if (kind != AttentionKernel::MmaPrefill) {
            positional_case<T>(kind, rng, 1, depth, 8, 2, 128, s, {1, 7, 32});
        } else {
            positional_case<T>(kind, rng, 40, depth, 8, 2, 64, s, {1, 5});
        }
    }
}

/**
 * One sequence given at once, in chunks and token by token through the real flow (store K/V at their
 * stored positions, attend with this call's true-position keys, then store the ring): all three must
 * agree with each other and with the pair-rule reference over the whole sequence.
 */
template <typename T>
static void test_attention_chunking(AttentionKernel prefill, AttentionKernel single, const HostScheme& s) {
    typedef KvKernels<T> KK;
    typedef typename std::conditional<std::is_same<T, float>::value, float, unsigned short>::type DT;
    Random rng(200);
    const int N = 93, heads = 8, kvHeads = 2, D = 32, qDim = heads * D, kvDim = kvHeads * D;
    RawSequence r(rng, N, heads, kvHeads, D, true);
    std::vector<float> stored = stored_keys(r, s, 0, N), trueKeys = true_keys(r, 0, N);
    int ringSlots = std::max(1, s.kernel.window);
    std::vector<float> want = positional_reference<T>(r, s, N, 0);

    std::vector<std::vector<float>> outputs;
    std::vector<std::vector<int>> plans = {{N}, {30, 1, 40, 22}, std::vector<int>(N, 1)};
    for (const auto& plan : plans) {
        DeviceBuffer<T> K((size_t) kvHeads * N * D), V((size_t) kvHeads * N * D), ring((size_t) kvHeads * ringSlots * D);
        std::vector<float> out((size_t) N * qDim);
        int start = 0;
        for (int n : plan) {
            std::vector<float> k(stored.begin() + (size_t) start * kvDim, stored.begin() + (size_t) (start + n) * kvDim);
            std::vector<float> v(r.v.begin() + (size_t) start * kvDim, r.v.begin() + (size_t) (start + n) * kvDim);
            std::vector<float> t(trueKeys.begin() + (size_t) start * kvDim, trueKeys.begin() + (size_t) (start + n) * kvDim);
            DeviceBuffer<float> dk(k), dv(v), dt(t);
            LAUNCH(KK::store, dim3(n), dim3(128), 0, dk.ptr, (DT*) K.ptr, n, kvHeads, D, (long long) N, start, (long long) kvDim);
            LAUNCH(KK::store, dim3(n), dim3(128), 0, dv.ptr, (DT*) V.ptr, n, kvHeads, D, (long long) N, start, (long long) kvDim);
            AttentionInputs a;
            a.n = n; a.start = start; a.heads = heads; a.kvHeads = kvHeads; a.headDim = D; a.capacity = N;
            a.window = s.kernel.window; a.farKeyLimit = s.kernel.farKeyLimit; a.nearFromRing = s.kernel.nearFromRing;
            a.span = s.kernel.span; a.chunk = s.kernel.chunk; a.softCap = s.kernel.softCap;
            a.ringSlots = ringSlots; a.scale = 1.0f / std::sqrt((float) D);
            rotated_queries(r, s, start, n, a);
            DeviceAttention<T> d;
            d.q0 = DeviceBuffer<float>(a.q0);
            d.q1 = DeviceBuffer<float>(a.q1);
            d.q2 = DeviceBuffer<float>(a.q2);
            d.batchKeys = DeviceBuffer<float>(t);
            d.out = DeviceBuffer<float>((size_t) n * qDim);
            d.K = std::move(K);
            d.V = std::move(V);
            d.ring = std::move(ring);
            std::vector<float> o = run_attention(n == 1 ? single : prefill, a, d, 1);
            std::copy(o.begin(), o.end(), out.begin() + (size_t) start * qDim);
            K = std::move(d.K);
            V = std::move(d.V);
            ring = std::move(d.ring);
            if (s.kernel.window > 0) {
                LAUNCH(KK::ring, dim3(n), dim3(128), 0, dt.ptr, (DT*) ring.ptr, n, kvHeads, D, ringSlots, start, (long long) kvDim);
            }
            start += n;
        }
        outputs.push_back(out);
    }
    std::string label = std::string("chunking ") + kernel_label(prefill);
    double tol = attention_tolerance(prefill);
    const char* name = s.name.c_str();
    report.check(label, fmt("%s at once vs reference", name), max_abs_diff(outputs[0], want), tol);
    report.check(label, fmt("%s chunks 30+1+40+22 vs at once", name), max_abs_diff(outputs[1], outputs[0]), tol);
    report.check(label, fmt("%s token by token vs at once", name), max_abs_diff(outputs[2], outputs[0]), tol);
}

static void test_attention(bool quick) {
    test_attention_kernel<float>(AttentionKernel::SimtF32, quick);
    test_attention_kernel<uint16_t>(AttentionKernel::SimtF16, quick);
    test_attention_kernel<uint16_t>(AttentionKernel::MmaPrefill, quick);
    test_attention_kernel<uint16_t>(AttentionKernel::MmaDecode, quick);
    test_attention_positions<float>(AttentionKernel::SimtF32, quick);
    test_attention_positions<uint16_t>(AttentionKernel::SimtF16, quick);
    test_attention_positions<uint16_t>(AttentionKernel::MmaPrefill, quick);
    test_attention_positions<uint16_t>(AttentionKernel::MmaDecode, quick);
    for (const HostScheme& s : {plain_positions(), self_extend_positions(4, 24), streaming_positions(4, 20),
                                with_span(self_extend_positions(4, 24), 61), dca_positions(20, 8), dca_positions(37, 37),
                                rerope_positions(24), leaky_rerope_positions(24, 3.0)}) {
        test_attention_chunking<float>(AttentionKernel::SimtF32, AttentionKernel::SimtF32, s);
        test_attention_chunking<uint16_t>(AttentionKernel::MmaPrefill, AttentionKernel::MmaDecode, s);
    }
    test_attention_chunking<uint16_t>(AttentionKernel::SimtF16, AttentionKernel::SimtF16, dca_positions(20, 8));
}

// ---------------------------------------------------------------- main

#include "bench.h"

int main(int argc, char** argv) {
    std::string golden = "src/test/resources/golden/quant";
    bool bench = false, quick = kEmulated, only = false;
    std::string filter;
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i];
        if (arg == "--bench") bench = true;
        else if (arg == "--full") quick = false;
        else if (arg.rfind("--only=", 0) == 0) { only = true; filter = arg.substr(7); }
        else golden = arg;
    }
    double t0 = seconds_now();
    auto run = [&](const char* name, const std::function<void()>& f) {
        if (only && filter.find(name) == std::string::npos) return;
        double t = seconds_now();
        f();
        std::printf("  %-14s %.1f s\n", name, seconds_now() - t);
        std::fflush(stdout);
    };
#ifndef LONGLM_EMULATE
    cudaDeviceProp prop;
    CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    std::printf("device: %s, sm_%d%d, %d SMs, %.0f GB\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount,
                prop.totalGlobalMem / 1e9);
#else
    std::printf("device: CPU emulation (tools/cuda/emu.h)%s\n", quick ? ", quick shapes" : "");
#endif
    run("dequant", [&] { test_dequantization(golden); });
    run("convert", [&] { test_conversions(); });
    run("matvec", [&] { test_matvec(); });
    run("elementwise", [&] { test_elementwise(); });
    run("rope", [&] { test_rope(); });
    run("kv", [&] { test_kv_type<float>(); test_kv_type<uint16_t>(); });
    run("attention", [&] { test_attention(quick); });
    int failed = report.print();
    std::printf("tests took %.1f s\n", seconds_now() - t0);
    if (bench) {
        run_benchmarks();
    }
    return failed == 0 ? 0 : 1;
}
