package dev.longlm.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CUDA driver API ({@code libcuda.so.1}) as typed Java methods: one method per C function,
 * handles and device addresses as {@code long}, every {@code CUresult} checked (a failure is a
 * {@link CudaException} naming the call and {@code cuGetErrorName}'s name for the code).
 *
 * <p>Symbols are the ones {@code cuda.h} of CUDA 13 maps its names to ({@code cuMemAlloc} is
 * {@code cuMemAlloc_v2}, {@code cuEventElapsedTime} is {@code cuEventElapsedTime_v2},
 * {@code cuGraphInstantiate} is {@code cuGraphInstantiateWithFlags}, ...), with the older name as a
 * fallback where a CUDA 12 driver exports only that. Contexts are the device's primary context
 * (retain + set current), which is stable across driver versions and is the one cuBLAS uses.
 *
 * <p>Most code uses the objects built on this ({@link CudaDevice}, {@link CudaStream},
 * {@link KernelLauncher}, ...); this class is public for what they do not cover. Calls made with
 * no current context fail with {@code CUDA_ERROR_INVALID_CONTEXT}: see
 * {@link CudaDevice#bindToCurrentThread()}.
 */
public final class CudaDriver {
    static final int CUDA_SUCCESS = 0;
    static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    static final int CUDA_ERROR_INVALID_VALUE = 1;
    static final int CUDA_ERROR_NOT_READY = 600;

    /** {@code CUdevice_attribute} values used here (cuda.h). */
    public static final int ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
    public static final int ATTRIBUTE_WARP_SIZE = 10;
    public static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public static final int ATTRIBUTE_L2_CACHE_SIZE = 38;
    public static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public static final int ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81;
    public static final int ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

    /** {@code CUfunction_attribute} values (cuda.h). */
    public static final int FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0;
    public static final int FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1;
    public static final int FUNC_ATTRIBUTE_NUM_REGS = 4;
    public static final int FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    static final int STREAM_NON_BLOCKING = 0x1;
    static final int EVENT_DEFAULT = 0x0;
    static final int EVENT_DISABLE_TIMING = 0x2;
    static final int STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
    static final int MEMHOSTALLOC_PORTABLE = 0x1;
    static final int MEMHOSTREGISTER_PORTABLE = 0x1;
    static final int MEMHOSTREGISTER_READ_ONLY = 0x8;

    private static final FunctionDescriptor I_I = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor I_A = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    private static final FunctionDescriptor I_J = FunctionDescriptor.of(JAVA_INT, JAVA_LONG);
    private static final FunctionDescriptor I_JJ = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG);

    private final NativeLibrary library;
    private final MethodHandle cuGetErrorName;
    private final MethodHandle cuInit;
    private final MethodHandle cuDriverGetVersion;
    private final MethodHandle cuDeviceGetCount;
    private final MethodHandle cuDeviceGet;
    private final MethodHandle cuDeviceGetName;
    private final MethodHandle cuDeviceGetAttribute;
    private final MethodHandle cuDeviceTotalMem;
    private final MethodHandle cuDevicePrimaryCtxRetain;
    private final MethodHandle cuDevicePrimaryCtxRelease;
    private final MethodHandle cuCtxSetCurrent;
    private final MethodHandle cuCtxSynchronize;
    private final MethodHandle cuMemGetInfo;
    private final MethodHandle cuMemAlloc;
    private final MethodHandle cuMemFree;
    private final MethodHandle cuMemHostAlloc;
    private final MethodHandle cuMemFreeHost;
    private final MethodHandle cuMemHostRegister;
    private final MethodHandle cuMemHostUnregister;
    private final MethodHandle cuMemcpyHtoDAsync;
    private final MethodHandle cuMemcpyDtoHAsync;
    private final MethodHandle cuMemcpyDtoDAsync;
    private final MethodHandle cuMemsetD8Async;
    private final MethodHandle cuMemsetD32Async;
    private final MethodHandle cuStreamCreate;
    private final MethodHandle cuStreamDestroy;
    private final MethodHandle cuStreamSynchronize;
    private final MethodHandle cuStreamWaitEvent;
    private final MethodHandle cuEventCreate;
    private final MethodHandle cuEventDestroy;
    private final MethodHandle cuEventRecord;
    private final MethodHandle cuEventSynchronize;
    private final MethodHandle cuEventQuery;
    private final MethodHandle cuEventElapsedTime;
    private final MethodHandle cuModuleLoadData;
    private final MethodHandle cuModuleGetFunction;
    private final MethodHandle cuModuleUnload;
    private final MethodHandle cuFuncSetAttribute;
    private final MethodHandle cuFuncGetAttribute;
    private final Optional<MethodHandle> cuFuncGetParamInfo;
    private final MethodHandle cuOccupancyMaxActiveBlocksPerMultiprocessor;
    private final MethodHandle cuLaunchKernel;
    private final MethodHandle cuStreamBeginCapture;
    private final MethodHandle cuStreamEndCapture;
    private final MethodHandle cuGraphInstantiate;
    private final MethodHandle cuGraphLaunch;
    private final MethodHandle cuGraphExecDestroy;
    private final MethodHandle cuGraphDestroy;
    private final Optional<MethodHandle> cuStreamGetCaptureInfo;
    private final Optional<MethodHandle> cuGraphExecKernelNodeSetParams;
    /** A CUDA_KERNEL_NODE_PARAMS_v2 (72 bytes) and an out-parameter, reused for every node update. */
    private final MemorySegment nodeParams = Arena.ofAuto().allocate(72, 8);
    private final MemorySegment captureOut = Arena.ofAuto().allocate(32, 8);

    private CudaDriver(NativeLibrary lib) {
        this.library = lib;
        cuGetErrorName = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorName");
        cuInit = lib.function(I_I, "cuInit");
        cuDriverGetVersion = lib.function(I_A, "cuDriverGetVersion");
        cuDeviceGetCount = lib.function(I_A, "cuDeviceGetCount");
        cuDeviceGet = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuDeviceGet");
        cuDeviceGetName = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetName");
        cuDeviceGetAttribute = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                "cuDeviceGetAttribute");
        cuDeviceTotalMem = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuDeviceTotalMem_v2");
        cuDevicePrimaryCtxRetain = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                "cuDevicePrimaryCtxRetain");
        cuDevicePrimaryCtxRelease = lib.function(I_I, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
        cuCtxSetCurrent = lib.function(I_J, "cuCtxSetCurrent");
        cuCtxSynchronize = lib.function(FunctionDescriptor.of(JAVA_INT), "cuCtxSynchronize");
        cuMemGetInfo = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuMemGetInfo_v2");
        cuMemAlloc = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), "cuMemAlloc_v2");
        cuMemFree = lib.function(I_J, "cuMemFree_v2");
        cuMemHostAlloc = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), "cuMemHostAlloc");
        cuMemFreeHost = lib.function(I_J, "cuMemFreeHost");
        cuMemHostRegister = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
                "cuMemHostRegister_v2", "cuMemHostRegister");
        cuMemHostUnregister = lib.function(I_A, "cuMemHostUnregister");
        cuMemcpyHtoDAsync = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG),
                "cuMemcpyHtoDAsync_v2");
        cuMemcpyDtoHAsync = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                "cuMemcpyDtoHAsync_v2");
        cuMemcpyDtoDAsync = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                "cuMemcpyDtoDAsync_v2");
        cuMemsetD8Async = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG, JAVA_LONG),
                "cuMemsetD8Async");
        cuMemsetD32Async = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG),
                "cuMemsetD32Async");
        cuStreamCreate = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuStreamCreate");
        cuStreamDestroy = lib.function(I_J, "cuStreamDestroy_v2");
        cuStreamSynchronize = lib.function(I_J, "cuStreamSynchronize");
        cuStreamWaitEvent = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT),
                "cuStreamWaitEvent");
        cuEventCreate = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuEventCreate");
        cuEventDestroy = lib.function(I_J, "cuEventDestroy_v2");
        cuEventRecord = lib.function(I_JJ, "cuEventRecord");
        cuEventSynchronize = lib.function(I_J, "cuEventSynchronize");
        cuEventQuery = lib.function(I_J, "cuEventQuery");
        cuEventElapsedTime = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG),
                "cuEventElapsedTime_v2", "cuEventElapsedTime");
        cuModuleLoadData = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuModuleLoadData");
        cuModuleGetFunction = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS),
                "cuModuleGetFunction");
        cuModuleUnload = lib.function(I_J, "cuModuleUnload");
        cuFuncSetAttribute = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT),
                "cuFuncSetAttribute");
        cuFuncGetAttribute = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG),
                "cuFuncGetAttribute");
        cuFuncGetParamInfo = lib.optionalFunction(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS),
                "cuFuncGetParamInfo");
        cuOccupancyMaxActiveBlocksPerMultiprocessor = lib.function(
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG),
                "cuOccupancyMaxActiveBlocksPerMultiprocessor");
        cuLaunchKernel = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS), "cuLaunchKernel");
        cuStreamBeginCapture = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT), "cuStreamBeginCapture_v2");
        cuStreamEndCapture = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS), "cuStreamEndCapture");
        cuGraphInstantiate = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG),
                "cuGraphInstantiateWithFlags");
        cuGraphLaunch = lib.function(I_JJ, "cuGraphLaunch");
        cuGraphExecDestroy = lib.function(I_J, "cuGraphExecDestroy");
        cuGraphDestroy = lib.function(I_J, "cuGraphDestroy");
        // CUDA 12.3+: (stream, status*, id*, graph*, deps**, edgeData**, numDeps*); CUDA 13's cuda.h maps to _v3.
        cuStreamGetCaptureInfo = lib.optionalFunction(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS), "cuStreamGetCaptureInfo_v3");
        cuGraphExecKernelNodeSetParams = lib.optionalFunction(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS),
                "cuGraphExecKernelNodeSetParams_v2");
    }

    /** Binds the driver library at {@code path} (found by {@link LibrarySearch}); does not initialize it. */
    public static CudaDriver load(Path path) {
        return new CudaDriver(NativeLibrary.load(path));
    }

    public Path path() {
        return library.path();
    }

    // ---- errors ----

    /** {@code cuGetErrorName}'s name for a CUresult, e.g. {@code CUDA_ERROR_INVALID_VALUE}. */
    public String errorName(int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int r = (int) cuGetErrorName.invokeExact(result, out);
            return r == CUDA_SUCCESS ? NativeLibrary.cString(out.get(ADDRESS, 0)) : "unknown CUresult";
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    void check(int result, String call) {
        if (result != CUDA_SUCCESS) {
            throw new CudaException(call, result, errorName(result), faultNote(result));
        }
    }

    /**
     * For the errors a faulting kernel leaves behind (an illegal address, a trap, an assert): they are
     * sticky, reported by whatever call comes next, and the context is unusable afterwards.
     */
    static String faultNote(int result) {
        // CUDA_ERROR_ILLEGAL_ADDRESS, _LAUNCH_TIMEOUT, _ASSERT, _HARDWARE_STACK_ERROR, _ILLEGAL_INSTRUCTION,
        // _MISALIGNED_ADDRESS, _INVALID_ADDRESS_SPACE, _INVALID_PC, _LAUNCH_FAILED (cuda.h)
        boolean kernelFault = switch (result) {
            case 700, 702, 710, 714, 715, 716, 717, 718, 719 -> true;
            default -> false;
        };
        return kernelFault ? "a kernel faulted before this call and the GPU context is unusable from here on; "
                + "CUDA_LAUNCH_BLOCKING=1 makes the faulting launch report it" : "";
    }

    // ---- initialization and devices ----

    /**
     * {@code cuInit(0)}. A driver that finds no usable GPU is a {@link CudaUnavailableException}
     * (one line with the driver's reason), since the user can only fix it outside longlm.
     */
    public void init() {
        int r = call(() -> (int) cuInit.invokeExact(0));
        if (r != CUDA_SUCCESS) {
            throw new CudaUnavailableException("the NVIDIA driver (" + path() + ") cannot start CUDA: cuInit returned "
                    + errorName(r) + "; check that a GPU is visible (nvidia-smi) and that the driver is loaded");
        }
    }

    /** CUDA version the driver supports, e.g. 13000 for 13.0 ({@code cuDriverGetVersion}). */
    public int driverVersion() {
        return outInt(out -> (int) cuDriverGetVersion.invokeExact(out), "cuDriverGetVersion");
    }

    public int deviceCount() {
        return outInt(out -> (int) cuDeviceGetCount.invokeExact(out), "cuDeviceGetCount");
    }

    /** The {@code CUdevice} of an ordinal. */
    public int device(int ordinal) {
        return outInt(out -> (int) cuDeviceGet.invokeExact(out, ordinal), "cuDeviceGet");
    }

    public String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            check((int) cuDeviceGetName.invokeExact(name, 256, device), "cuDeviceGetName");
            return name.getString(0);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    /** {@code cuDeviceGetAttribute} for one of the {@code ATTRIBUTE_*} constants. */
    public int deviceAttribute(int device, int attribute) {
        return outInt(out -> (int) cuDeviceGetAttribute.invokeExact(out, attribute, device), "cuDeviceGetAttribute");
    }

    public long deviceTotalMemory(int device) {
        return outLong(out -> (int) cuDeviceTotalMem.invokeExact(out, device), "cuDeviceTotalMem");
    }

    // ---- contexts ----

    /** Retains the device's primary context ({@code cuDevicePrimaryCtxRetain}); release it with {@link #releasePrimaryContext}. */
    public long retainPrimaryContext(int device) {
        return outLong(out -> (int) cuDevicePrimaryCtxRetain.invokeExact(out, device), "cuDevicePrimaryCtxRetain");
    }

    public void releasePrimaryContext(int device) {
        check(call(() -> (int) cuDevicePrimaryCtxRelease.invokeExact(device)), "cuDevicePrimaryCtxRelease");
    }

    /** Makes {@code context} current on the calling thread. */
    public void setCurrentContext(long context) {
        check(call(() -> (int) cuCtxSetCurrent.invokeExact(context)), "cuCtxSetCurrent");
    }

    /** Waits for all work of the current context. */
    public void synchronizeContext() {
        check(call(() -> (int) cuCtxSynchronize.invokeExact()), "cuCtxSynchronize");
    }

    // ---- memory ----

    /** {@code {free, total}} bytes of the current context's device ({@code cuMemGetInfo}). */
    public long[] memoryInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(JAVA_LONG);
            MemorySegment total = arena.allocate(JAVA_LONG);
            check((int) cuMemGetInfo.invokeExact(free, total), "cuMemGetInfo");
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    /**
     * {@code cuMemAlloc}; returns the device address. Running out is a
     * {@link CudaOutOfMemoryException} (normally {@link CudaDevice#allocate} says so before asking).
     */
    public long allocate(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            int r = (int) cuMemAlloc.invokeExact(out, bytes);
            if (r == CUDA_ERROR_OUT_OF_MEMORY) {
                throw new CudaOutOfMemoryException("the GPU could not allocate " + Bytes.format(bytes)
                        + " (cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY); free GPU memory or ask for less");
            }
            check(r, "cuMemAlloc(" + bytes + " bytes)");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    public void free(long address) {
        check(call(() -> (int) cuMemFree.invokeExact(address)), "cuMemFree");
    }

    /** Page-locked host memory ({@code cuMemHostAlloc}, portable across contexts); free with {@link #freeHost}. */
    public MemorySegment allocateHost(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int r = (int) cuMemHostAlloc.invokeExact(out, bytes, MEMHOSTALLOC_PORTABLE);
            if (r == CUDA_ERROR_OUT_OF_MEMORY) {
                throw new CudaOutOfMemoryException("cannot pin " + Bytes.format(bytes)
                        + " of host memory (cuMemHostAlloc: CUDA_ERROR_OUT_OF_MEMORY); free host memory or ask for less");
            }
            check(r, "cuMemHostAlloc(" + bytes + " bytes)");
            return out.get(ADDRESS, 0).reinterpret(bytes);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    public void freeHost(MemorySegment pinned) {
        long address = pinned.address();
        check(call(() -> (int) cuMemFreeHost.invokeExact(address)), "cuMemFreeHost");
    }

    /**
     * Page-locks existing host memory ({@code cuMemHostRegister}), e.g. a memory-mapped weights file,
     * so copies from it run at full speed. {@code readOnly} is needed for read-only mappings.
     */
    public void registerHost(MemorySegment host, boolean readOnly) {
        int flags = MEMHOSTREGISTER_PORTABLE | (readOnly ? MEMHOSTREGISTER_READ_ONLY : 0);
        check(call(() -> (int) cuMemHostRegister.invokeExact(host, host.byteSize(), flags)), "cuMemHostRegister");
    }

    public void unregisterHost(MemorySegment host) {
        check(call(() -> (int) cuMemHostUnregister.invokeExact(host)), "cuMemHostUnregister");
    }

    /** Host → device on {@code stream}; {@code host} must be native memory of at least {@code bytes}. */
    public void copyToDeviceAsync(long device, MemorySegment host, long bytes, long stream) {
        int r;
        try {
            r = (int) cuMemcpyHtoDAsync.invokeExact(device, host, bytes, stream);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuMemcpyHtoDAsync");
    }

    public void copyToHostAsync(MemorySegment host, long device, long bytes, long stream) {
        int r;
        try {
            r = (int) cuMemcpyDtoHAsync.invokeExact(host, device, bytes, stream);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuMemcpyDtoHAsync");
    }

    public void copyDeviceAsync(long destination, long source, long bytes, long stream) {
        int r;
        try {
            r = (int) cuMemcpyDtoDAsync.invokeExact(destination, source, bytes, stream);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuMemcpyDtoDAsync");
    }

    /** Sets {@code count} bytes to {@code value}. */
    public void fillBytesAsync(long device, byte value, long count, long stream) {
        int r;
        try {
            r = (int) cuMemsetD8Async.invokeExact(device, value, count, stream);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuMemsetD8Async");
    }

    /** Sets {@code count} 32-bit words (4-byte aligned) to {@code value}, e.g. {@code Float.floatToRawIntBits(x)}. */
    public void fillWordsAsync(long device, int value, long count, long stream) {
        int r;
        try {
            r = (int) cuMemsetD32Async.invokeExact(device, value, count, stream);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuMemsetD32Async");
    }

    // ---- streams and events ----

    /** A stream that does not synchronize with the legacy default stream (required for graph capture). */
    public long createStream() {
        return outLong(out -> (int) cuStreamCreate.invokeExact(out, STREAM_NON_BLOCKING), "cuStreamCreate");
    }

    public void destroyStream(long stream) {
        check(call(() -> (int) cuStreamDestroy.invokeExact(stream)), "cuStreamDestroy");
    }

    public void synchronizeStream(long stream) {
        int r;
        try {
            r = (int) cuStreamSynchronize.invokeExact(stream);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuStreamSynchronize");
    }

    /** Makes later work on {@code stream} wait for {@code event}. */
    public void streamWaitEvent(long stream, long event) {
        int r;
        try {
            r = (int) cuStreamWaitEvent.invokeExact(stream, event, 0);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuStreamWaitEvent");
    }

    public long createEvent(boolean timing) {
        int flags = timing ? EVENT_DEFAULT : EVENT_DISABLE_TIMING;
        return outLong(out -> (int) cuEventCreate.invokeExact(out, flags), "cuEventCreate");
    }

    public void destroyEvent(long event) {
        check(call(() -> (int) cuEventDestroy.invokeExact(event)), "cuEventDestroy");
    }

    public void recordEvent(long event, long stream) {
        int r;
        try {
            r = (int) cuEventRecord.invokeExact(event, stream);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuEventRecord");
    }

    public void synchronizeEvent(long event) {
        check(call(() -> (int) cuEventSynchronize.invokeExact(event)), "cuEventSynchronize");
    }

    /** Whether all work before the event's last record has finished ({@code cuEventQuery}). */
    public boolean eventDone(long event) {
        int r = call(() -> (int) cuEventQuery.invokeExact(event));
        if (r == CUDA_ERROR_NOT_READY) {
            return false;
        }
        check(r, "cuEventQuery");
        return true;
    }

    /** Milliseconds between two recorded, completed events (about 0.5 µs resolution). */
    public float elapsedMillis(long start, long end) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_FLOAT);
            check((int) cuEventElapsedTime.invokeExact(out, start, end), "cuEventElapsedTime");
            return out.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    // ---- modules and functions ----

    /** Loads a CUBIN, fatbin or NUL-terminated PTX image into the current context. */
    public long loadModule(MemorySegment image) {
        return outLong(out -> (int) cuModuleLoadData.invokeExact(out, image), "cuModuleLoadData");
    }

    public void unloadModule(long module) {
        check(call(() -> (int) cuModuleUnload.invokeExact(module)), "cuModuleUnload");
    }

    public long moduleFunction(long module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            MemorySegment cName = arena.allocateFrom(name);
            check((int) cuModuleGetFunction.invokeExact(out, module, cName), "cuModuleGetFunction(" + name + ")");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    /** {@code cuFuncSetAttribute} for one of the {@code FUNC_ATTRIBUTE_*} constants. */
    public void setFunctionAttribute(long function, int attribute, int value) {
        check(call(() -> (int) cuFuncSetAttribute.invokeExact(function, attribute, value)), "cuFuncSetAttribute");
    }

    public int functionAttribute(long function, int attribute) {
        return outInt(out -> (int) cuFuncGetAttribute.invokeExact(out, attribute, function), "cuFuncGetAttribute");
    }

    /**
     * The sizes in bytes of a kernel's parameters, in order, from {@code cuFuncGetParamInfo}
     * (drivers for CUDA 12.4 and newer): queried by index until the driver answers
     * {@code CUDA_ERROR_INVALID_VALUE}, one past the last. Empty where the driver lacks the function
     * or cannot answer for this kernel, since launches work without it.
     */
    public Optional<int[]> parameterSizes(long function) {
        if (cuFuncGetParamInfo.isEmpty()) {
            return Optional.empty();
        }
        MethodHandle paramInfo = cuFuncGetParamInfo.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment offset = arena.allocate(JAVA_LONG);
            MemorySegment size = arena.allocate(JAVA_LONG);
            int[] sizes = new int[0];
            for (long index = 0; ; index++) {
                int r = (int) paramInfo.invokeExact(function, index, offset, size);
                if (r == CUDA_ERROR_INVALID_VALUE) {
                    return Optional.of(sizes);
                }
                if (r != CUDA_SUCCESS) {
                    return Optional.empty();
                }
                sizes = Arrays.copyOf(sizes, sizes.length + 1);
                sizes[sizes.length - 1] = (int) size.get(JAVA_LONG, 0);
            }
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    /** How many blocks of {@code blockSize} threads fit on one multiprocessor at once. */
    public int maxActiveBlocksPerMultiprocessor(long function, int blockSize, long dynamicSharedBytes) {
        return outInt(out -> (int) cuOccupancyMaxActiveBlocksPerMultiprocessor.invokeExact(out, function, blockSize,
                dynamicSharedBytes), "cuOccupancyMaxActiveBlocksPerMultiprocessor");
    }

    /**
     * {@code cuLaunchKernel} with {@code kernelParams} = {@code parameters} (an array of pointers to
     * each argument's value; see {@link KernelArgs}). Allocates nothing.
     */
    public void launch(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                       int sharedBytes, long stream, MemorySegment parameters) {
        int r;
        try {
            r = (int) cuLaunchKernel.invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes,
                    stream, parameters, MemorySegment.NULL);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        if (r != CUDA_SUCCESS) {
            throw new CudaException("cuLaunchKernel(grid " + gridX + "x" + gridY + "x" + gridZ + ", block " + blockX
                    + "x" + blockY + "x" + blockZ + ", shared " + sharedBytes + ")", r, errorName(r), faultNote(r));
        }
    }

    // ---- graphs ----

    /**
     * Starts capturing {@code stream} into a graph. Thread-local mode: CUDA calls that are unsafe
     * during capture (cuMemAlloc, synchronous copies) fail on this thread, others stay free.
     */
    public void beginCapture(long stream) {
        check(call(() -> (int) cuStreamBeginCapture.invokeExact(stream, STREAM_CAPTURE_MODE_THREAD_LOCAL)),
                "cuStreamBeginCapture");
    }

    /** Ends the capture; returns the captured {@code CUgraph}. */
    public long endCapture(long stream) {
        return outLong(out -> (int) cuStreamEndCapture.invokeExact(stream, out), "cuStreamEndCapture");
    }

    public long instantiateGraph(long graph) {
        return outLong(out -> (int) cuGraphInstantiate.invokeExact(out, graph, 0L), "cuGraphInstantiate");
    }

    public void launchGraph(long graphExec, long stream) {
        int r;
        try {
            r = (int) cuGraphLaunch.invokeExact(graphExec, stream);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuGraphLaunch");
    }

    /** Whether this driver can name captured nodes and update them in an instantiated graph (CUDA 12.3 and newer). */
    public boolean canUpdateGraphs() {
        return cuStreamGetCaptureInfo.isPresent() && cuGraphExecKernelNodeSetParams.isPresent();
    }

    /**
     * The node the last operation queued on {@code stream} became while capturing: the stream's one
     * capture dependency ({@code cuStreamGetCaptureInfo}), since a captured stream is a chain.
     */
    public long lastCapturedNode(long stream) {
        MemorySegment status = captureOut.asSlice(0, 8);
        MemorySegment deps = captureOut.asSlice(8, 8);
        MemorySegment count = captureOut.asSlice(16, 8);
        int r;
        try {
            r = (int) cuStreamGetCaptureInfo.orElseThrow().invokeExact(stream, status, MemorySegment.NULL, MemorySegment.NULL,
                    deps, MemorySegment.NULL, count);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuStreamGetCaptureInfo");
        if (status.get(JAVA_INT, 0) != 1 || count.get(JAVA_LONG, 0) != 1) { // CU_STREAM_CAPTURE_STATUS_ACTIVE
            throw new IllegalStateException("stream is not capturing a chain (status " + status.get(JAVA_INT, 0)
                    + ", " + count.get(JAVA_LONG, 0) + " dependencies)");
        }
        return deps.get(ADDRESS, 0).reinterpret(8).get(JAVA_LONG, 0);
    }

    /**
     * Sets the launch of kernel node {@code node} of an instantiated graph ({@code cuGraphExecKernelNodeSetParams}):
     * the same function with new dimensions and arguments ({@code kernelParams}, a {@code void**} the driver
     * copies from at once).
     */
    public void setKernelNodeParams(long graphExec, long node, long function, int gridX, int gridY, int gridZ, int blockX,
                                    int blockY, int blockZ, int sharedBytes, MemorySegment kernelParams) {
        MemorySegment p = nodeParams;
        p.fill((byte) 0);
        p.set(JAVA_LONG, 0, function);
        p.set(JAVA_INT, 8, gridX);
        p.set(JAVA_INT, 12, gridY);
        p.set(JAVA_INT, 16, gridZ);
        p.set(JAVA_INT, 20, blockX);
        p.set(JAVA_INT, 24, blockY);
        p.set(JAVA_INT, 28, blockZ);
        p.set(JAVA_INT, 32, sharedBytes);
        p.set(JAVA_LONG, 40, kernelParams.address());
        int r;
        try {
            r = (int) cuGraphExecKernelNodeSetParams.orElseThrow().invokeExact(graphExec, node, p);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(r, "cuGraphExecKernelNodeSetParams");
    }

    public void destroyGraphExec(long graphExec) {
        check(call(() -> (int) cuGraphExecDestroy.invokeExact(graphExec)), "cuGraphExecDestroy");
    }

    public void destroyGraph(long graph) {
        check(call(() -> (int) cuGraphDestroy.invokeExact(graph)), "cuGraphDestroy");
    }

    // ---- plumbing ----

    @FunctionalInterface
    private interface NativeCall {
        int invoke() throws Throwable;
    }

    @FunctionalInterface
    private interface OutCall {
        int invoke(MemorySegment out) throws Throwable;
    }

    private static int call(NativeCall c) {
        try {
            return c.invoke();
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    private int outInt(OutCall c, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check(c.invoke(out), name);
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    private long outLong(OutCall c, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            check(c.invoke(out), name);
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }
}
