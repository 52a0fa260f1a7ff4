// Launch wrappers that make the emulated kernels (emu.h) loadable by the fake CUDA driver of the Java
// tests (src/test/resources/dev/longlm/backend/cuda/fake/fake_cuda.c), so that the Java CUDA backend
// runs its real kernels on a CPU. Included after the kernel unit; then one LONGLM_EMU_KERNEL(name)
// line per extern "C" __global__ kernel (generated from the unit by EmulatedCuda.java) exports
//
//   int longlm_emu_launch_<name>(gx, gy, gz, bx, by, bz, sharedBytes, void** params)
//       cuLaunchKernel's arguments: unpacks params[i] by the kernel's own parameter types and runs the
//       grid synchronously; 0, or 1 for a block the emulator cannot run, 2 for an emulator failure
//   const LongLmEmuParams* longlm_emu_params_<name>(void)
//       the parameters' count, sizes and kinds ('p' pointer, 'i' 32-bit integer, 'l' 64-bit integer,
//       'f' float, 'd' double), for cuFuncGetParamInfo and the fake's pointer checks
//
// Nothing here is written per kernel: the signature comes from the kernel's declaration.
#pragma once

#include "emu.h"

#include <exception>
#include <mutex>
#include <tuple>
#include <type_traits>
#include <utility>

extern "C" {
/** Mirrored in fake_cuda.c. */
typedef struct {
    int count;
    int sizes[32];
    char kinds[33];
} LongLmEmuParams;
}

namespace emu_module {

template <typename T>
constexpr char kind_of() {
    if constexpr (std::is_pointer_v<T>) {
        return 'p';
    } else if constexpr (std::is_same_v<T, float>) {
        return 'f';
    } else if constexpr (std::is_same_v<T, double>) {
        return 'd';
    } else if constexpr (std::is_integral_v<T> && sizeof(T) == 4) {
        return 'i';
    } else if constexpr (std::is_integral_v<T> && sizeof(T) == 8) {
        return 'l';
    } else {
        static_assert(sizeof(T) == 0, "kernel parameter of a type the wrappers do not know");
        return '?';
    }
}

template <typename... A>
constexpr LongLmEmuParams params_of(void (*)(A...)) {
    static_assert(sizeof...(A) <= 32, "more than 32 kernel parameters");
    return LongLmEmuParams{(int) sizeof...(A), {(int) sizeof(A)...}, {kind_of<A>()..., 0}};
}

/** The emulator keeps one scheduler per process: one launch at a time. */
inline std::mutex& launch_lock() {
    static std::mutex m;
    return m;
}

template <typename... A, size_t... I>
std::tuple<A...> unpack(void** params, std::index_sequence<I...>) {
    return std::tuple<A...>(*static_cast<A*>(params[I])...);
}

template <typename... A>
int launch(void (*kernel)(A...), unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
           unsigned sharedBytes, void** params) {
    // What emu::launch would otherwise end the process for: 1-D blocks of whole warps, as every kernel assumes.
    if (by != 1 || bz != 1 || bx == 0 || bx % 32 != 0 || bx > 1024 || gx == 0 || gy == 0 || gz == 0) {
        return 1;
    }
    std::tuple<A...> args = unpack<A...>(params, std::index_sequence_for<A...>{});
    std::lock_guard<std::mutex> hold(launch_lock());
    try {
        emu::launch(dim3(gx, gy, gz), dim3(bx, by, bz), sharedBytes, [&] { std::apply(kernel, args); });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "emu: %s\n", e.what());
        return 2;
    }
    return 0;
}

} // namespace emu_module

#define LONGLM_EMU_KERNEL(name) \
    extern "C" int longlm_emu_launch_##name(unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, \
                                            unsigned sharedBytes, void** params) { \
        return emu_module::launch(name, gx, gy, gz, bx, by, bz, sharedBytes, params); \
    } \
    extern "C" const LongLmEmuParams* longlm_emu_params_##name(void) { \
        static constexpr LongLmEmuParams p = emu_module::params_of(name); \
        return &p; \
    }
