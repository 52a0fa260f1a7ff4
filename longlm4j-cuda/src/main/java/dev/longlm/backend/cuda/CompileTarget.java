package dev.longlm.backend.cuda;

import java.util.Arrays;

/**
 * What NVRTC compiles for: a CUBIN for the GPU's own architecture when this NVRTC knows it, else PTX
 * for the newest architecture it knows below the GPU's, which the driver compiles further when the
 * module is loaded (a GPU newer than the NVRTC).
 *
 * @param architecture {@code sm_90} (CUBIN) or {@code compute_89} (PTX)
 */
public record CompileTarget(String architecture, boolean cubin) {

    /** The {@code --gpu-architecture=} option. */
    public String option() {
        return "--gpu-architecture=" + architecture;
    }

    /** The cached file's extension. */
    public String extension() {
        return cubin ? "cubin" : "ptx";
    }

    /**
     * @param supported {@link Nvrtc#supportedArchitectures()}
     * @throws CudaUnavailableException when the GPU is older than every architecture this NVRTC knows
     */
    public static CompileTarget choose(ComputeCapability device, int[] supported, String nvrtcVersion) {
        int code = device.code();
        if (Arrays.stream(supported).anyMatch(a -> a == code)) {
            return new CompileTarget("sm_" + code, true);
        }
        int below = Arrays.stream(supported).filter(a -> a < code).max().orElse(-1);
        if (below < 0) {
            String oldest = Arrays.stream(supported).min().stream()
                    .mapToObj(a -> ComputeCapability.of(a).toString()).findFirst().orElse("none");
            throw new CudaUnavailableException("the GPU has compute capability " + device + " but NVRTC " + nvrtcVersion
                    + " compiles for " + oldest + " and newer; install an older NVRTC (pip install "
                    + "nvidia-cuda-nvrtc-cu12) or use --device cpu");
        }
        return new CompileTarget("compute_" + below, false);
    }
}
