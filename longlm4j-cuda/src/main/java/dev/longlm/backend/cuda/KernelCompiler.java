package dev.longlm.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the kernels' CUDA C sources (header-free {@code extern "C"} code, kept as resources under
 * {@code dev/longlm/backend/cuda/}) into loadable images for one GPU: NVRTC compiles each source
 * once per machine for the GPU's architecture ({@link CompileTarget}), and the {@link KernelCache}
 * keeps the result for later runs.
 *
 * <p>Options: {@code --gpu-architecture=sm_XY} and {@code --std=c++17} are added unless the caller
 * gives its own; nothing else is ({@code --use_fast_math} changes results, so a kernel that wants it
 * asks for it).
 */
public final class KernelCompiler {
    /** Folder of the kernel sources on the class path. */
    public static final String RESOURCE_FOLDER = "/dev/longlm/backend/cuda/";

    private final Nvrtc nvrtc;
    private final String nvrtcVersion;
    private final CompileTarget target;
    private final KernelCache cache;

    /** @param cache where compiled images are kept, or {@code null} to compile every time */
    public KernelCompiler(Nvrtc nvrtc, ComputeCapability device, KernelCache cache) {
        this.nvrtc = nvrtc;
        this.nvrtcVersion = nvrtc.version();
        this.target = CompileTarget.choose(device, nvrtc.supportedArchitectures(), nvrtcVersion);
        this.cache = cache;
    }

    /** What sources are compiled for on this GPU. */
    public CompileTarget target() {
        return target;
    }

    public String nvrtcVersion() {
        return nvrtcVersion;
    }

    /**
     * The image of {@code source}: from the cache when a matching one is there, else compiled (and
     * then cached). A compile error is a {@link CudaException} carrying NVRTC's log.
     *
     * @param name  the kernel file's name, for the log and the cache file (e.g. {@code rms_norm.cu})
     * @param extraOptions options beyond the defaults, e.g. {@code -DBLOCK=256}
     */
    public CompiledKernel compile(String name, String source, List<String> extraOptions) {
        CompileTarget effective = targetOf(extraOptions);
        List<String> options = options(extraOptions);
        String key = KernelCache.key(source, options, nvrtcVersion, effective);
        if (cache != null) {
            var cached = cache.read(name, effective, key);
            if (cached.isPresent()) {
                return new CompiledKernel(name, cached.get(), effective, key, true);
            }
        }
        byte[] image = nvrtc.compile(name, source, options, effective.cubin()).image();
        if (cache != null) {
            cache.write(name, effective, key, image);
        }
        return new CompiledKernel(name, image, effective, key, false);
    }

    /** The full option list NVRTC gets for {@code extraOptions}. */
    public List<String> options(List<String> extraOptions) {
        List<String> options = new ArrayList<>();
        if (extraOptions.stream().noneMatch(KernelCompiler::isArchitectureOption)) {
            options.add(target.option());
        }
        if (extraOptions.stream().noneMatch(o -> o.startsWith("--std") || o.startsWith("-std"))) {
            options.add("--std=c++17");
        }
        options.addAll(extraOptions);
        return List.copyOf(options);
    }

    private CompileTarget targetOf(List<String> extraOptions) {
        for (String option : extraOptions) {
            if (isArchitectureOption(option)) {
                String arch = option.substring(option.indexOf('=') + 1);
                return new CompileTarget(arch, arch.startsWith("sm_"));
            }
        }
        return target;
    }

    private static boolean isArchitectureOption(String option) {
        return option.startsWith("--gpu-architecture=") || option.startsWith("-arch=");
    }

    /** The text of the kernel source {@code fileName} in {@link #RESOURCE_FOLDER}. */
    public static String resource(String fileName) {
        try (InputStream in = KernelCompiler.class.getResourceAsStream(RESOURCE_FOLDER + fileName)) {
            if (in == null) {
                throw new IllegalStateException("kernel source " + RESOURCE_FOLDER + fileName
                        + " is not on the class path (a packaging bug)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading kernel source " + fileName, e);
        }
    }
}
