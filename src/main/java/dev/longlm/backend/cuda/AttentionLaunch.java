package dev.longlm.backend.cuda;

import dev.longlm.attention.KeyRanges;
import dev.longlm.backend.KvShape;

import java.util.HashSet;
import java.util.Set;

/**
 * Launches the fused attention kernels (kernels/README.md): which kernel serves a head size and cache
 * type, how many blocks, and how the keys are split across blocks when one call's rows alone cannot
 * fill the GPU (decoding at depth: flash-decoding, partial results combined by {@code attention_combine}).
 * Every kernel reads the position scheme as the parameters of {@link KeyRanges}.
 */
final class AttentionLaunch {
    /** Head sizes the tensor-core kernels are instantiated for (F16 cache); others run on CUDA cores. */
    private static final Set<Integer> MMA_HEAD_SIZES = Set.of(16, 32, 64, 80, 96, 128, 256);
    private static final int SIMT_ROWS = 8;
    private static final int SIMT_MAX_HEAD = 256;
    /** Keys per split at least: splitting finer costs more in the combine step than it gains. */
    private static final int MIN_KEYS_PER_SPLIT = 256;

    private final CudaDevice device;
    private final CudaKernels kernels;
    private final int multiprocessors;
    private final Set<String> sharedMemorySet = new HashSet<>();
    private DeviceMemory workspace;

    AttentionLaunch(CudaDevice device, CudaKernels kernels) {
        this.device = device;
        this.kernels = kernels;
        this.multiprocessors = device.info().multiprocessors();
    }

    /** The kernel's shape: rows per block, threads, dynamic shared memory. */
    private record Shape(String kernel, int rowsPerBlock, int threads, int sharedBytes) {
    }

    private static Shape shape(KvPrecision precision, int headDim, int n) {
        if (precision == KvPrecision.F16 && MMA_HEAD_SIZES.contains(headDim)) {
            boolean decode = n <= 4;
            int warps = decode ? 1 : 4;
            int keysPerTile = decode ? 32 : headDim == 256 ? 32 : 64;
            int row = headDim + 8;
            int halves = 5 * keysPerTile * row + (headDim > 128 ? 2 * 16 * warps * row : 0);
            return new Shape((decode ? "attention_mma_decode_f16_hd" : "attention_mma_f16_hd") + headDim, 16 * warps,
                    32 * warps, 2 * halves);
        }
        return new Shape("attention_simt_" + precision.suffix(), SIMT_ROWS, 128, 0);
    }

    void attend(CudaKvStore kv, int layer, KeyRanges ranges, CudaTensor queries, CudaTensor farQueries, CudaTensor trueKeys,
                int row, int n, int start, int span, float scale, float softCap, CudaTensor out) {
        KvShape s = kv.shape();
        int headDim = s.headDim();
        int heads = queries.width() / headDim;
        int group = heads / s.kvHeads();
        if (headDim > SIMT_MAX_HEAD || headDim % 8 != 0) {
            throw new IllegalArgumentException("head size " + headDim + " is not supported by the CUDA attention kernels "
                    + "(a multiple of 8 up to " + SIMT_MAX_HEAD + ")");
        }
        Shape shape = shape(kv.precision(), headDim, n);
        int rows = n * group;
        int rowBlocks = (rows + shape.rowsPerBlock() - 1) / shape.rowsPerBlock();
        int splits = splits(rowBlocks * s.kvHeads(), start + n);
        long workspaceAddress = 0;
        if (splits > 1) {
            workspaceAddress = workspace((long) splits * n * heads * (headDim + 2) * Float.BYTES).address();
        }
        if (shape.sharedBytes() > 48 * 1024 && sharedMemorySet.add(shape.kernel())) {
            kernels.function(shape.kernel()).setMaxDynamicSharedMemory(shape.sharedBytes());
        }
        KernelLauncher k = kernels.get(shape.kernel());
        k.args().pointer(queries.row(row)).pointer(farQueries.row(row)).pointer(kv.keys(layer)).pointer(kv.values(layer))
                .i64(s.capacity()).pointer(kv.ring(layer)).i32(kv.ringSlots()).pointer(trueKeys.row(row)).pointer(out.row(row))
                .pointer(workspaceAddress).i32(n).i32(start).i32(heads).i32(s.kvHeads()).i32(headDim).i32(ranges.window())
                .i32(ranges.farKeyLimit()).i32(ranges.nearKeysFromRing() ? 1 : 0).i32(span).f32(scale).f32(softCap).i32(splits);
        k.launch(rowBlocks, splits, s.kvHeads(), shape.threads(), 1, 1, shape.sharedBytes());
        if (splits > 1) {
            KernelLauncher combine = kernels.get("attention_combine");
            combine.args().pointer(workspaceAddress).pointer(out.row(row)).i32(n).i32(heads).i32(headDim).i32(splits);
            combine.launch(n * heads, 128, 0);
        }
    }

    /**
     * Splits of the keys so that about two blocks per multiprocessor run: none when the rows already give
     * that many blocks (prefill), more as fewer rows meet more keys (decoding at depth).
     */
    int splits(int blocksWithoutSplit, int keys) {
        int wanted = (2 * multiprocessors + blocksWithoutSplit - 1) / blocksWithoutSplit;
        int most = Math.max(1, keys / MIN_KEYS_PER_SPLIT);
        return Math.max(1, Math.min(wanted, most));
    }

    private DeviceMemory workspace(long bytes) {
        if (workspace == null || workspace.bytes() < bytes) {
            if (workspace != null) {
                device.synchronize();
                device.free(workspace);
            }
            workspace = device.allocate("attention split-KV workspace", Math.max(bytes, 1 << 20));
        }
        return workspace;
    }
}
