package dev.longlm.backend;

import dev.longlm.InputException;
import dev.longlm.backend.cuda.CudaBackend;
import dev.longlm.backend.cuda.KvPrecision;

import java.util.List;

/**
 * GPU backends for the cross-backend tests: CUDA GPU 0 with an F32 KV cache (the accuracy check, close to
 * the CPU) and with the default F16 cache, where the machine has one; otherwise none, with the reason
 * printed (CI has no GPU).
 */
final class GpuTestBackends {
    private GpuTestBackends() {
    }

    static List<TestBackends> open() {
        try {
            CudaBackend f32 = CudaBackend.open(0, KvPrecision.F32);
            CudaBackend f16 = CudaBackend.open(0, KvPrecision.F16);
            System.out.println("cross-backend tests: " + f32.describe());
            // F32 cache: CUDA-core attention in F32, tensor-core GEMMs with F16 inputs for prompts.
            // F16 cache: keys, values and queries rounded to F16 for the tensor cores (≈ 5e-4 relative).
            // Whole models against llama.cpp's F32 cache: F16 storage alone moves log-probabilities by ~5e-3.
            return List.of(new TestBackends("cuda-f32kv", f32, 1e-4, 1e-4), new TestBackends("cuda-f16kv", f16, 5e-3, 1e-2));
        } catch (InputException e) {
            System.out.println("cross-backend tests: CUDA backend skipped: " + e.getMessage());
            return List.of();
        }
    }
}
