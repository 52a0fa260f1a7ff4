package dev.longlm.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by every command that loads a model. */
final class ModelOptions {
    /** The model shipped in the repository's models/ folder, found from the launcher's home. */
    static Path defaultModel() {
        String home = System.getProperty("longlm.home");
        Path root = home != null ? Path.of(home) : Path.of(".");
        return root.resolve("models").resolve("pd-llama-13m-ctx256-f16.gguf");
    }

    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF model file (default: the bundled models/pd-llama-13m-ctx256-f16.gguf)")
    Path model;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: available cores)")
    Integer threads;

    @Option(names = "--verbose", description = "print stack traces and extra diagnostics")
    boolean verbose;

    @Option(names = "--device", paramLabel = "cpu|cuda[:N]", description = "where the model runs (default: cpu); cuda = everything on GPU 0")
    String device;

    @Option(names = {"-ngl", "--n-gpu-layers", "--gpu-layers"}, paramLabel = "N",
            description = "llama.cpp's flag: any N > 0 runs the whole model on the GPU (--device cuda); 0 keeps it on the CPU")
    Integer gpuLayers;

    @Option(names = {"--kv-type", "-ctk", "--cache-type-k"}, paramLabel = "f16|f32", defaultValue = "f16",
            description = "GPU KV cache element type (default ${DEFAULT-VALUE}; the CPU keeps F32)")
    String kvType;

    /** The device the flags name: --device, else -ngl (N > 0: cuda), else the CPU. */
    String deviceName() {
        if (device != null && gpuLayers != null && (gpuLayers > 0) != !device.equalsIgnoreCase("cpu")) {
            throw new dev.longlm.InputException("--device " + device + " contradicts -ngl " + gpuLayers + "; give one of them");
        }
        if (gpuLayers != null && gpuLayers < 0) {
            throw new dev.longlm.InputException("-ngl must be >= 0, got " + gpuLayers);
        }
        return device != null ? device : gpuLayers != null && gpuLayers > 0 ? "cuda" : "cpu";
    }

    /** The backend the commands run on: the CPU with {@link #threadCount()} threads, or a GPU. */
    dev.longlm.backend.Backend openBackend() {
        return dev.longlm.generate.Devices.open(deviceName(), threadCount(), kvType);
    }

    Path modelPath() {
        return model != null ? model : defaultModel();
    }

    int threadCount() {
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (n < 1 || n > 1024) {
            throw new dev.longlm.InputException("--threads must be between 1 and 1024, got " + n);
        }
        return n;
    }
}
