// Device abstraction, random data and the result table of the kernel harness. The same test code
// runs on a GPU (nvcc build: CUDA runtime) and on the CPU emulator (g++ -DLONGLM_EMULATE).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "half.h"

#ifdef LONGLM_EMULATE
#define LAUNCH(kernel, grid, block, shared, ...) emu::launch((grid), (block), (shared), [&] { kernel(__VA_ARGS__); })
inline void* device_malloc(size_t bytes) { return std::malloc(std::max<size_t>(bytes, 1)); }
inline void device_free(void* p) { std::free(p); }
inline void device_copy_in(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
inline void device_copy_out(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
inline void device_fill(void* dst, int byte, size_t bytes) { std::memset(dst, byte, bytes); }
template <typename K>
inline void allow_shared(K, size_t) {}
constexpr bool kEmulated = true;
#else
#define CUDA_CHECK(call) \
    do { \
        cudaError_t err_ = (call); \
        if (err_ != cudaSuccess) { \
            std::fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorName(err_), __FILE__, __LINE__, \
                         cudaGetErrorString(err_)); \
            std::exit(2); \
        } \
    } while (0)
#define LAUNCH(kernel, grid, block, shared, ...) \
    do { \
        kernel<<<(grid), (block), (shared)>>>(__VA_ARGS__); \
        CUDA_CHECK(cudaGetLastError()); \
        CUDA_CHECK(cudaDeviceSynchronize()); \
    } while (0)
inline void* device_malloc(size_t bytes) {
    void* p = nullptr;
    CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(bytes, 256)));
    return p;
}
inline void device_free(void* p) { CUDA_CHECK(cudaFree(p)); }
inline void device_copy_in(void* dst, const void* src, size_t bytes) { CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice)); }
inline void device_copy_out(void* dst, const void* src, size_t bytes) { CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost)); }
inline void device_fill(void* dst, int byte, size_t bytes) { CUDA_CHECK(cudaMemset(dst, byte, bytes)); }
template <typename K>
inline void allow_shared(K kernel, size_t bytes) {
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int) bytes));
}
constexpr bool kEmulated = false;
#endif

/** A device buffer of T, poisoned (all bytes 0xFF: NaN for floats and halves) until written. */
template <typename T>
struct DeviceBuffer {
    T* ptr = nullptr;
    size_t count = 0;
    DeviceBuffer() = default;
    explicit DeviceBuffer(size_t n) : ptr((T*) device_malloc(n * sizeof(T))), count(n) { poison(); }
    explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    DeviceBuffer(DeviceBuffer&& o) noexcept : ptr(o.ptr), count(o.count) { o.ptr = nullptr; o.count = 0; }
    DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
        std::swap(ptr, o.ptr);
        std::swap(count, o.count);
        return *this;
    }
    ~DeviceBuffer() {
        if (ptr != nullptr) {
            device_free(ptr);
        }
    }
    void poison() { device_fill(ptr, 0xFF, count * sizeof(T)); }
    void upload(const std::vector<T>& host) { device_copy_in(ptr, host.data(), std::min(count, host.size()) * sizeof(T)); }
    std::vector<T> download() const {
        std::vector<T> host(count);
        device_copy_out(host.data(), ptr, count * sizeof(T));
        return host;
    }
};

/** Deterministic random numbers (splitmix64). */
struct Random {
    uint64_t state;
    explicit Random(uint64_t seed) : state(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint64_t next() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /** Uniform in [lo, hi). */
    float uniform(float lo = -1.0f, float hi = 1.0f) { return lo + (hi - lo) * (float) ((next() >> 40) * (1.0 / 16777216.0)); }
    int below(int n) { return (int) (next() % (uint64_t) n); }
    std::vector<float> floats(size_t n, float lo = -1.0f, float hi = 1.0f) {
        std::vector<float> v(n);
        for (auto& x : v) {
            x = uniform(lo, hi);
        }
        return v;
    }
    std::vector<uint8_t> bytes(size_t n) {
        std::vector<uint8_t> v(n);
        for (auto& b : v) {
            b = (uint8_t) next();
        }
        return v;
    }
};

/** One line of the final table: a kernel (or group) and how its checks went. */
struct Outcome {
    std::string test;
    int cases = 0;
    int failed = 0;
    double worst = 0; // largest error relative to its tolerance (≤ 1 passes)
    std::string note;
};

struct Report {
    std::vector<Outcome> rows;
    Outcome& row(const std::string& name) {
        for (auto& r : rows) {
            if (r.test == name) {
                return r;
            }
        }
        rows.push_back(Outcome{name});
        return rows.back();
    }
    /** Records one case: err against tol (0 tolerance demands exact equality). */
    void check(const std::string& name, const std::string& what, double err, double tol) {
        Outcome& r = row(name);
        r.cases++;
        bool ok = std::isfinite(err) && err <= tol;
        double ratio = tol > 0 ? err / tol : (err == 0 ? 0 : INFINITY);
        if (!std::isfinite(err)) {
            ratio = INFINITY;
        }
        r.worst = std::max(r.worst, ratio);
        if (!ok) {
            r.failed++;
            std::printf("FAIL %-28s %-60s err %.3g tol %.3g\n", name.c_str(), what.c_str(), err, tol);
        }
    }
    void note(const std::string& name, const std::string& text) { row(name).note = text; }
    int print() const {
        int failedCases = 0, cases = 0;
        std::printf("\n%-34s %6s %6s %10s  %s\n", "kernel / test", "cases", "failed", "worst/tol", "note");
        for (const auto& r : rows) {
            std::printf("%-34s %6d %6d %10.3g  %s\n", r.test.c_str(), r.cases, r.failed, r.worst, r.note.c_str());
            failedCases += r.failed;
            cases += r.cases;
        }
        std::printf("%d passed, %d failed\n", cases - failedCases, failedCases);
        return failedCases;
    }
};

/** Largest |a − b|, NaN if either side has a NaN where the other does not. */
inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double worst = 0;
    for (size_t i = 0; i < a.size(); i++) {
        if (std::isnan(a[i]) != std::isnan(b[i])) {
            return NAN;
        }
        if (!std::isnan(a[i])) {
            worst = std::max(worst, (double) std::fabs((double) a[i] - (double) b[i]));
        }
    }
    return worst;
}

/** Number of positions whose bits differ. */
template <typename T>
inline size_t bit_mismatches(const std::vector<T>& a, const std::vector<T>& b) {
    size_t bad = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); i++) {
        if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) {
            bad++;
        }
    }
    return bad + (a.size() > b.size() ? a.size() - b.size() : b.size() - a.size());
}

inline std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
inline std::string fmt(const char* f, ...) {
    char buf[512];
    va_list args;
    va_start(args, f);
    std::vsnprintf(buf, sizeof buf, f, args);
    va_end(args);
    return buf;
}

inline double seconds_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
