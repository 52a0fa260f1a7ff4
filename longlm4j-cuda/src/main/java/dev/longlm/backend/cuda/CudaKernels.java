package dev.longlm.backend.cuda;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's CUDA kernels (resources under {@code kernels/}, listed in {@code kernels/kernels.list}),
 * compiled once per GPU architecture into one module (cached by {@link KernelCache}), and a launcher
 * per kernel. How each kernel is launched is the contract in {@code kernels/README.md}; the backend's
 * launch code follows it.
 */
final class CudaKernels {
    static final String FOLDER = "kernels/";

    private final CudaModule module;
    private final CudaStream stream;
    private final Map<String, KernelLauncher> launchers = new HashMap<>();

    CudaKernels(CudaDevice device) {
        this.stream = device.stream();
        this.module = device.compile("longlm-kernels.cu", source(), List.of());
    }

    /** Every kernel file in {@code kernels.list} order, as one compilation unit (the files include nothing). */
    static String source() {
        StringBuilder all = new StringBuilder();
        for (String line : KernelCompiler.resource(FOLDER + "kernels.list").split("\n")) {
            String file = line.strip();
            if (file.isEmpty() || file.startsWith("#")) {
                continue;
            }
            all.append("// ---- ").append(file).append(" ----\n").append(KernelCompiler.resource(FOLDER + file)).append('\n');
        }
        return all.toString();
    }

    /** The launcher of kernel {@code name} on the device's stream. */
    KernelLauncher get(String name) {
        return launchers.computeIfAbsent(name, n -> module.function(n).launcher(stream));
    }

    CudaFunction function(String name) {
        return module.function(name);
    }
}
