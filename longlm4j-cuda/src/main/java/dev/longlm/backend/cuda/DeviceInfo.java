package dev.longlm.backend.cuda;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code info} and {@code bench} print about the GPU and the CUDA libraries in use.
 *
 * @param driverVersion   the CUDA version the driver supports, e.g. 13000 ({@code cuDriverGetVersion})
 * @param driverRelease   the NVIDIA driver's release, e.g. {@code 580.95.05}, where the kernel module says
 * @param cublasVersion   e.g. 130100 for 13.1.0
 * @param compileTarget   what kernels are compiled for on this GPU
 */
public record DeviceInfo(int ordinal, String name, ComputeCapability computeCapability, int multiprocessors,
                         int maxSharedMemoryPerBlockOptin, int maxSharedMemoryPerMultiprocessor, long totalMemory,
                         int driverVersion, Optional<String> driverRelease, Path driverLibrary,
                         CudaLibraries libraries, int cublasVersion, String nvrtcVersion, CompileTarget compileTarget) {

    private static final Pattern KERNEL_MODULE = Pattern.compile("NVRM version:.*?\\s(\\d+\\.\\d+(?:\\.\\d+)?)(?:\\s|$)");

    /**
     * The driver release from the text of {@code /proc/driver/nvidia/version}
     * ({@code NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  ...}, or {@code ... Open Kernel
     * Module for x86_64  580.95.05 ...}); empty where absent (WSL).
     */
    public static Optional<String> driverRelease(String procVersionText) {
        Matcher m = KERNEL_MODULE.matcher(procVersionText);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** E.g. {@code "13.0"}. */
    public static String cudaVersion(int version) {
        return version / 1000 + "." + version % 1000 / 10;
    }

    /** E.g. {@code "13.1.0"}. */
    public static String cublasVersion(int version) {
        return version / 10000 + "." + version % 10000 / 100 + "." + version % 100;
    }

    /** One line: {@code GPU 0: NVIDIA H200, compute 9.0, 132 SMs, 139.80 GiB, CUDA 13.0 (driver 580.95.05)}. */
    public String summary() {
        return "GPU " + ordinal + ": " + name + ", compute " + computeCapability + ", " + multiprocessors + " SMs, "
                + Bytes.format(totalMemory) + ", CUDA " + cudaVersion(driverVersion)
                + driverRelease.map(r -> " (driver " + r + ")").orElse("");
    }

    /** {@link #summary} and then one line per library and limit, for {@code info}. */
    public List<String> describe(MemoryStatus memory) {
        List<String> lines = new ArrayList<>();
        lines.add(summary());
        lines.add("  memory: " + memory);
        lines.add("  shared memory: " + Bytes.format(maxSharedMemoryPerBlockOptin) + " per block (opt-in), "
                + Bytes.format(maxSharedMemoryPerMultiprocessor) + " per SM");
        lines.add("  driver: " + driverLibrary);
        lines.add("  cuBLAS " + cublasVersion(cublasVersion) + ": " + libraries.cublas() + " (with " + libraries.cublasLt()
                + ")");
        lines.add("  NVRTC " + nvrtcVersion + ": " + libraries.nvrtc() + ", kernels compiled for "
                + compileTarget.architecture() + (compileTarget.cubin() ? "" : " (PTX, finished by the driver)"));
        return lines;
    }
}
