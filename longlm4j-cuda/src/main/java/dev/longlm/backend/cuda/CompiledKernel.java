package dev.longlm.backend.cuda;

/**
 * A compiled CUDA source, ready for {@code cuModuleLoadData}.
 *
 * @param image     CUBIN bytes, or NUL-terminated PTX
 * @param cacheKey  SHA-256 (hex) of everything the image depends on (see {@link KernelCache#key})
 * @param fromCache whether it was read from the cache instead of compiled
 */
public record CompiledKernel(String name, byte[] image, CompileTarget target, String cacheKey, boolean fromCache) {
}
