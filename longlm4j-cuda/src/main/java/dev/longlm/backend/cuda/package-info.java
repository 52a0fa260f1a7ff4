/**
 * CUDA from Java through the FFM API ({@code java.lang.foreign}): the driver API, cuBLAS and NVRTC,
 * bound at run time from the libraries the user has; no JNI, no native code of our own, nothing
 * needed at build time.
 *
 * <ul>
 *   <li>{@link dev.longlm.backend.cuda.CudaDevice}: the entry point. Opens one GPU (primary context,
 *       one stream, cuBLAS, kernel compiler), allocates with a free-memory check first, describes
 *       itself for {@code info} ({@link dev.longlm.backend.cuda.DeviceInfo}).</li>
 *   <li>Discovery: {@link dev.longlm.backend.cuda.LibrarySearch} finds {@code libcuda.so.1},
 *       {@code libcublas.so.13/.12} (with cuBLASLt) and {@code libnvrtc.so.13/.12} where users have
 *       them; anything missing is a {@link dev.longlm.backend.cuda.CudaUnavailableException}, one
 *       line naming the library, the folders searched and the install command.</li>
 *   <li>Work: {@link dev.longlm.backend.cuda.CudaStream} (async copies, fills, graph capture),
 *       {@link dev.longlm.backend.cuda.CudaEvent}, {@link dev.longlm.backend.cuda.CudaGraph},
 *       {@link dev.longlm.backend.cuda.KernelLauncher} (launches with preallocated arguments,
 *       {@link dev.longlm.backend.cuda.KernelArgs}), {@link dev.longlm.backend.cuda.Cublas} (GEMMs;
 *       {@link dev.longlm.backend.cuda.GemmShape#linear} is the engine's row-major
 *       {@code Y = X·Wᵀ}).</li>
 *   <li>Kernels: {@link dev.longlm.backend.cuda.KernelCompiler} compiles the CUDA C resources of
 *       this package with NVRTC for the GPU's architecture, cached on disk by
 *       {@link dev.longlm.backend.cuda.KernelCache}.</li>
 *   <li>Errors: a failed call is a {@link dev.longlm.backend.cuda.CudaException} naming the call and
 *       the library's error name; too little GPU memory is a
 *       {@link dev.longlm.backend.cuda.CudaOutOfMemoryException}, raised before allocating.</li>
 * </ul>
 *
 * Device memory is a {@link dev.longlm.backend.cuda.DeviceMemory} record (a {@code long} address and
 * a length); handles are {@code long}s. The hot calls (launch, async copy, GEMM, event record, graph
 * launch) allocate nothing on the Java heap.
 */
package dev.longlm.backend.cuda;
