package dev.longlm.backend;

/**
 * A backend that lives in a module of its own (the CUDA backend in {@code longlm4j-cuda}), found with
 * {@link java.util.ServiceLoader} so that the engine never imports it: a build that does not need a GPU
 * does not carry one. Implementations are listed in {@code META-INF/services/dev.longlm.backend.BackendProvider}.
 */
public interface BackendProvider {
    /** The device family a user names with {@code --device NAME} or {@code NAME:N}, e.g. {@code cuda}. */
    String device();

    /**
     * Opens device number {@code ordinal} of this family, with KV stores in {@code kvType}
     * ({@code f16} or {@code f32}); throws {@link dev.longlm.InputException} when the device or the
     * libraries it needs are missing.
     */
    Backend open(int ordinal, String kvType);
}
