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

    /** The backend the commands run on (the CPU with {@link #threadCount()} threads). */
    dev.longlm.backend.Backend openBackend() {
        return dev.longlm.generate.Devices.open("cpu", threadCount());
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
