package dev.longlm.api;

/**
 * Where the forward pass runs: the CPU with a number of threads, or a CUDA GPU (whole model on the GPU;
 * needs the {@code longlm4j-cuda} artifact on the class path and the NVIDIA driver, cuBLAS and NVRTC).
 *
 * @param name    {@code cpu}, {@code cuda} or {@code cuda:N}, as the CLI's {@code --device}
 * @param threads CPU threads (the CPU backend's worker pool; ignored on a GPU)
 * @param kvType  the GPU's KV-cache element type, {@code f16} or {@code f32} (the CPU keeps F32)
 */
public record Device(String name, int threads, String kvType) {
    public Device {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /** The CPU with one thread per available processor. */
    public static Device cpu() {
        return cpu(Runtime.getRuntime().availableProcessors());
    }

    public static Device cpu(int threads) {
        return new Device("cpu", threads, "f16");
    }

    /** GPU {@code ordinal} with an F16 KV cache. */
    public static Device cuda(int ordinal) {
        return new Device("cuda:" + ordinal, 1, "f16");
    }
}
