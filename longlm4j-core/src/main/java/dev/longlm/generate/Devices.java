package dev.longlm.generate;

import dev.longlm.InputException;
import dev.longlm.backend.Backend;
import dev.longlm.backend.BackendProvider;
import dev.longlm.backend.cpu.CpuBackend;

import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Opens the backend a user names: {@code cpu} (the default), or {@code cuda} / {@code cuda:N} for GPU N
 * (everything on the GPU, as llama.cpp's {@code -ngl 99}). Backends other than the CPU's are
 * {@link BackendProvider}s of other modules, looked up when named.
 */
public final class Devices {
    /** The device family of the longlm4j-cuda module, named in the message when that module is absent. */
    private static final String CUDA = "cuda";

    private Devices() {
    }

    /**
     * The backend for {@code device}, with {@code threads} CPU threads where they apply and KV stores in
     * {@code kvType} ({@code f16} or {@code f32}; the CPU always keeps F32).
     */
    public static Backend open(String device, int threads, String kvType) {
        String d = device.toLowerCase(Locale.ROOT);
        if (d.equals("cpu")) {
            return new CpuBackend(threads);
        }
        int colon = d.indexOf(':');
        String family = colon < 0 ? d : d.substring(0, colon);
        Optional<BackendProvider> provider = provider(family);
        if (provider.isEmpty() && family.equals(CUDA)) {
            throw new InputException("--device " + device + " needs the CUDA backend, which is not on the class path:"
                    + " add the dependency dev.longlm:longlm4j-cuda (the longlm CLI jar has it)");
        }
        if (provider.isEmpty()) {
            throw new InputException("unknown --device '" + device + "'; choose cpu, cuda or cuda:N");
        }
        int ordinal = 0;
        if (colon >= 0) {
            try {
                ordinal = Integer.parseInt(d.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new InputException("--device " + device + ": the GPU number must be an integer, e.g. " + family + ":0");
            }
        }
        return provider.get().open(ordinal, kvType);
    }

    private static Optional<BackendProvider> provider(String family) {
        return ServiceLoader.load(BackendProvider.class, Devices.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.device().equals(family))
                .findFirst();
    }
}
