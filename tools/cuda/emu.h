// A small CPU emulation of the CUDA execution model, so that tools/cuda/kernel_test.cu can run the
// kernels on a machine without a GPU (g++ -DLONGLM_EMULATE). Each CUDA thread of a block is a
// fiber with its own stack; blocks run one after another. __syncthreads and the
// warp-collective operations (shuffles, ldmatrix, mma) are barriers over the block or the warp at
// which the fibers switch, so shared memory (`static` here), warp exchanges and barrier placement
// behave as on the GPU. Threads that have returned no longer count at a barrier, as on sm_70+.
// Only what the kernels use is provided. Slow (a context switch per thread per barrier): for
// the small shapes of the emulated test list. A fiber enters its stack once (ucontext), then
// switches with GCC's __builtin_setjmp/__builtin_longjmp, which save and restore only the stack,
// frame and resume point: glibc's swapcontext also saves the signal mask, a system call per switch
// that made it about 5 times slower. A fiber that finishes a block parks and runs the next block.
#pragma once

#include <ucontext.h>
#include <cmath>
#include <math.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __shared__ static
#define __restrict__
#define __launch_bounds__(...)

struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

// The running fiber's indices; the scheduler sets them before every switch to a fiber.
inline uint3 threadIdx;
inline uint3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;

namespace emu {

constexpr int kWarpWords = 16;
constexpr size_t kStackBytes = 256 * 1024;

struct Fiber {
    ucontext_t context; // only for the first entry onto the stack
    void* resumeAt[5];  // __builtin_setjmp buffer: where the fiber continues
    bool started = false;
    char* stack = nullptr;
    unsigned tid = 0;
    bool done = false;
    int waiting = 0; // 0 none, 1 block barrier, 2 warp barrier
    unsigned waitGeneration = 0;
    unsigned collectiveCount = 0; // warp-collective operations done, for the exchange buffer's parity
};

struct Barrier {
    unsigned arrived = 0;
    unsigned generation = 0;
    unsigned live = 0;
};

struct Scheduler {
    std::vector<Fiber> fibers;
    void* mainResumeAt[5]; // where the scheduler continues when a fiber yields
    Fiber* current = nullptr;
    Barrier block;
    std::vector<Barrier> warps;
    std::vector<uint64_t> exchange; // [warp][parity][lane][kWarpWords]
    std::vector<unsigned char> dynamicShared;
    std::function<void()> body;
};

inline Scheduler& scheduler() {
    static Scheduler s;
    return s;
}

// Own frames for the builtins: __builtin_longjmp may not be called from the function that set the buffer.
__attribute__((noinline)) inline void jump_to(void** target) { __builtin_longjmp(target, 1); }

/** Saves where the caller continues in `save` and continues at `target`. */
__attribute__((noinline)) inline void switch_to(void** save, void** target) {
    if (__builtin_setjmp(save) == 0) {
        jump_to(target);
    }
}

/** First entry of a fiber onto its own stack; it yields back to the scheduler through mainResumeAt. */
__attribute__((noinline)) inline void enter(ucontext_t* context, void** save) {
    if (__builtin_setjmp(save) == 0) {
        setcontext(context);
    }
}

inline void yield() {
    Scheduler& s = scheduler();
    switch_to(s.current->resumeAt, s.mainResumeAt);
}

/** Counts the running fiber in at a barrier; returns once every live participant has arrived. */
inline void arrive(Barrier& b, int kind) {
    Fiber* f = scheduler().current;
    unsigned generation = b.generation;
    if (++b.arrived == b.live) {
        b.arrived = 0;
        b.generation++;
        return;
    }
    f->waiting = kind;
    f->waitGeneration = generation;
    yield();
}

inline Barrier& warp_barrier() {
    Scheduler& s = scheduler();
    return s.warps[s.current->tid / 32];
}

inline void sync_block() { arrive(scheduler().block, 1); }
inline void sync_warp() { arrive(warp_barrier(), 2); }

/**
 * One warp-collective step: each lane deposits up to kWarpWords words, the warp meets, and each
 * lane then reads every lane's deposit (valid until the warp's next collective step but one).
 */
inline const uint64_t* warp_exchange(const uint64_t* mine, int words) {
    Scheduler& s = scheduler();
    Fiber* f = s.current;
    int warp = f->tid / 32;
    int lane = f->tid % 32;
    int parity = f->collectiveCount++ & 1;
    uint64_t* base = &s.exchange[((size_t) (warp * 2 + parity) * 32) * kWarpWords];
    std::memcpy(base + lane * kWarpWords, mine, sizeof(uint64_t) * words);
    sync_warp();
    return base;
}

/** A fiber's life: the body of each block it is started for, parking in between (never returns). */
inline void fiber_entry() {
    Scheduler& s = scheduler();
    for (;;) {
        s.body();
        Fiber* f = s.current; // read again after every switch: the fiber vector may have moved
        f->done = true;
        // a finished thread no longer holds back barriers
        auto leave = [](Barrier& b) {
            b.live--;
            if (b.arrived > 0 && b.arrived == b.live) {
                b.arrived = 0;
                b.generation++;
            }
        };
        leave(s.block);
        leave(s.warps[f->tid / 32]);
        switch_to(f->resumeAt, s.mainResumeAt);
    }
}

inline bool runnable(const Fiber& f) {
    Scheduler& s = scheduler();
    if (f.done) {
        return false;
    }
    if (f.waiting == 1) {
        return s.block.generation != f.waitGeneration;
    }
    if (f.waiting == 2) {
        return s.warps[f.tid / 32].generation != f.waitGeneration;
    }
    return true;
}

/** Runs body as every thread of every block of grid × block, with `sharedBytes` of dynamic shared memory. */
inline void launch(dim3 grid, dim3 block, size_t sharedBytes, std::function<void()> body) {
    Scheduler& s = scheduler();
    unsigned threads = block.x * block.y * block.z;
    if (block.y != 1 || block.z != 1 || threads % 32 != 0 || threads > 1024) {
        std::fprintf(stderr, "emu: blocks must be 1-D with a multiple of 32 threads (got %u x %u x %u)\n", block.x, block.y, block.z);
        std::exit(3);
    }
    if (s.fibers.size() < threads) {
        size_t old = s.fibers.size();
        s.fibers.resize(threads);
        for (size_t i = old; i < threads; i++) {
            s.fibers[i].stack = (char*) std::malloc(kStackBytes);
        }
    }
    s.body = std::move(body);
    s.dynamicShared.assign(sharedBytes + 16, 0xA5); // shared memory starts as garbage
    s.warps.assign(threads / 32, Barrier());
    s.exchange.assign((size_t) threads / 32 * 2 * 32 * kWarpWords, 0);
    gridDim = grid;
    blockDim = block;
    for (unsigned bz = 0; bz < grid.z; bz++) {
        for (unsigned by = 0; by < grid.y; by++) {
            for (unsigned bx = 0; bx < grid.x; bx++) {
                blockIdx = uint3{bx, by, bz};
                s.block = Barrier();
                s.block.live = threads;
                for (auto& w : s.warps) {
                    w = Barrier();
                    w.live = 32;
                }
                for (unsigned t = 0; t < threads; t++) {
                    Fiber& f = s.fibers[t];
                    f.tid = t;
                    f.done = false;
                    f.waiting = 0;
                    f.collectiveCount = 0;
                }
                unsigned remaining = threads;
                while (remaining > 0) {
                    bool progress = false;
                    for (unsigned t = 0; t < threads; t++) {
                        Fiber& f = s.fibers[t];
                        if (!runnable(f)) {
                            continue;
                        }
                        f.waiting = 0;
                        s.current = &f;
                        threadIdx = uint3{t, 0, 0};
                        if (!f.started) {
                            f.started = true;
                            getcontext(&f.context);
                            f.context.uc_stack.ss_sp = f.stack;
                            f.context.uc_stack.ss_size = kStackBytes;
                            f.context.uc_link = nullptr;
                            makecontext(&f.context, fiber_entry, 0);
                            enter(&f.context, s.mainResumeAt);
                        } else {
                            switch_to(s.mainResumeAt, f.resumeAt);
                        }
                        progress = true;
                        if (f.done) {
                            remaining--;
                        }
                    }
                    if (!progress) {
                        std::fprintf(stderr, "emu: deadlock in block (%u,%u,%u): threads wait at barriers that never complete\n",
                                     bx, by, bz);
                        std::exit(3);
                    }
                }
            }
        }
    }
}

} // namespace emu

inline void __syncthreads() { emu::sync_block(); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::sync_warp(); }

template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int laneMask) {
    static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
    uint64_t mine = 0;
    std::memcpy(&mine, &v, sizeof(T));
    const uint64_t* all = emu::warp_exchange(&mine, 1);
    int lane = threadIdx.x % 32;
    T r;
    std::memcpy(&r, &all[(lane ^ laneMask) * emu::kWarpWords], sizeof(T));
    return r;
}

template <typename T>
inline T __shfl_sync(unsigned, T v, int srcLane) {
    uint64_t mine = 0;
    std::memcpy(&mine, &v, sizeof(T));
    const uint64_t* all = emu::warp_exchange(&mine, 1);
    T r;
    std::memcpy(&r, &all[(srcLane & 31) * emu::kWarpWords], sizeof(T));
    return r;
}

inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline float __uint_as_float(unsigned v) { float f; std::memcpy(&f, &v, 4); return f; }
inline int __float_as_int(float f) { int v; std::memcpy(&v, &f, 4); return v; }
inline unsigned __float_as_uint(float f) { unsigned v; std::memcpy(&v, &f, 4); return v; }
inline float __fmul_rn(float a, float b) { volatile float r = a * b; return r; }
inline float __fadd_rn(float a, float b) { volatile float r = a + b; return r; }
inline float __fsub_rn(float a, float b) { volatile float r = a - b; return r; }
inline float __fdiv_rn(float a, float b) { volatile float r = a / b; return r; }

inline int __dp4a(int a, int b, int c) {
    for (int k = 0; k < 4; k++) {
        c += (int) (signed char) (a >> (8 * k)) * (int) (signed char) (b >> (8 * k));
    }
    return c;
}

