package dev.longlm.backend.cuda;

import java.util.List;

/**
 * The shared libraries the GPU backend loads, with the file names they go by, the folders of
 * NVIDIA's Python wheels that hold them, and what to tell a user who has none.
 */
public enum CudaLibrary {
    /** The driver API, installed with the NVIDIA driver (never with the toolkit or a wheel). */
    DRIVER("the CUDA driver library", "cuda", List.of(),
            "install the NVIDIA driver (it provides libcuda.so.1; in a container, start it with the NVIDIA "
                    + "container toolkit, e.g. docker run --gpus all)"),
    /** cuBLAS's GEMM engine, which cuBLAS itself loads; located first so that cuBLAS finds this copy. */
    CUBLAS_LT("cuBLASLt", "cublasLt", List.of("nvidia/cu13/lib", "nvidia/cublas/lib"),
            "pip install nvidia-cublas (CUDA 13) or nvidia-cublas-cu12 (CUDA 12), or install the CUDA "
                    + "toolkit and set CUDA_HOME to it"),
    CUBLAS("cuBLAS", "cublas", List.of("nvidia/cu13/lib", "nvidia/cublas/lib"),
            "pip install nvidia-cublas (CUDA 13) or nvidia-cublas-cu12 (CUDA 12), or install the CUDA "
                    + "toolkit and set CUDA_HOME to it"),
    NVRTC("NVRTC (the CUDA runtime compiler)", "nvrtc", List.of("nvidia/cu13/lib", "nvidia/cuda_nvrtc/lib"),
            "pip install nvidia-cuda-nvrtc (CUDA 13) or nvidia-cuda-nvrtc-cu12 (CUDA 12), or install the "
                    + "CUDA toolkit and set CUDA_HOME to it");

    /** Major versions of the toolkit libraries longlm binds to, newest first. */
    static final List<Integer> TOOLKIT_MAJORS = List.of(13, 12);

    private final String title;
    private final String baseName;
    private final List<String> wheelFolders;
    private final String howToGet;

    CudaLibrary(String title, String baseName, List<String> wheelFolders, String howToGet) {
        this.title = title;
        this.baseName = baseName;
        this.wheelFolders = wheelFolders;
        this.howToGet = howToGet;
    }

    /** How the library is named to a user, e.g. "cuBLAS". */
    public String title() {
        return title;
    }

    /** Folders under a Python site-packages folder where NVIDIA's wheels put this library. */
    List<String> wheelFolders() {
        return wheelFolders;
    }

    /** One clause: what to install or set. */
    String howToGet() {
        return howToGet;
    }

    /**
     * The file names to look for, in order of preference. The driver's ABI has been
     * {@code libcuda.so.1} forever; a toolkit library of major version M needs a driver that
     * supports CUDA M, so only the majors up to the driver's are listed, newest first.
     *
     * @param driverMajor the CUDA major version the driver supports ({@code cuDriverGetVersion / 1000})
     */
    public List<String> fileNames(int driverMajor) {
        if (this == DRIVER) {
            return List.of("libcuda.so.1");
        }
        return TOOLKIT_MAJORS.stream().filter(m -> m <= driverMajor).map(m -> "lib" + baseName + ".so." + m).toList();
    }
}
