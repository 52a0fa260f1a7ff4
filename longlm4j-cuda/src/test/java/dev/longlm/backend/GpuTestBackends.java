package dev.longlm.backend;

import dev.longlm.InputException;
import dev.longlm.backend.cuda.CudaBackend;
import dev.longlm.backend.cuda.CudaDevice;
import dev.longlm.backend.cuda.EmulatedCuda;
import dev.longlm.backend.cuda.KvPrecision;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * GPU backends for the cross-backend tests: CUDA GPU 0 with an F32 KV cache (the accuracy check, close to
 * the CPU) and with the default F16 cache, where the machine has one; otherwise none, with the reason
 * printed (CI has no GPU).
 *
 * <p>With {@code -Dlonglm.test.emulatedCuda=true} also the same two on the emulated GPU
 * ({@link EmulatedCuda}: the fake driver running the backend's real kernels on the CPU emulator), so
 * the Java CUDA backend is checked end to end without a GPU. Slow (each CUDA thread is a fiber): run
 * single test classes with it.
 */
final class GpuTestBackends {
    private GpuTestBackends() {
    }

    static List<TestBackends> open() {
        List<TestBackends> backends = new ArrayList<>(open("cuda", () -> CudaDevice.open(0)));
        if (EmulatedCuda.requested()) {
            backends.addAll(open("cuda-emulated", EmulatedCuda::open));
        } else {
            System.out.println("cross-backend tests: emulated CUDA off (-D" + EmulatedCuda.PROPERTY + "=true runs the CUDA backend "
                    + "on the CPU emulator)");
        }
        return backends;
    }

    private static List<TestBackends> open(String name, Supplier<CudaDevice> device) {
        CudaBackend f32 = null;
        try {
            f32 = CudaBackend.open(device.get(), KvPrecision.F32);
            CudaBackend f16 = CudaBackend.open(device.get(), KvPrecision.F16);
            System.out.println("cross-backend tests: " + name + ": " + f32.describe());
            // F32 cache: CUDA-core attention in F32, tensor-core GEMMs with F16 inputs for prompts.
            // F16 cache: keys, values and queries rounded to F16 for the tensor cores (≈ 5e-4 relative).
            // Whole models against llama.cpp's F32 cache: F16 storage alone moves log-probabilities by ~5e-3.
            return List.of(new TestBackends(name + "-f32kv", f32, 1e-4, 1e-4), new TestBackends(name + "-f16kv", f16, 5e-3, 1e-2));
        } catch (InputException e) {
            if (f32 != null) {
                f32.close();
            }
            System.out.println("cross-backend tests: " + name + " backend skipped: " + e.getMessage());
            return List.of();
        }
    }
}
