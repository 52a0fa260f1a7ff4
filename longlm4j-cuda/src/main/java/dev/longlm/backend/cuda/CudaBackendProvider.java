package dev.longlm.backend.cuda;

import dev.longlm.backend.Backend;
import dev.longlm.backend.BackendProvider;

/** Registers the CUDA backend as {@code --device cuda[:N]} (META-INF/services). */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String device() {
        return "cuda";
    }

    @Override
    public Backend open(int ordinal, String kvType) {
        return CudaBackend.open(ordinal, KvPrecision.parse(kvType));
    }
}
