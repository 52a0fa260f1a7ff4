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
    private static final int SIMT_KEY_TILE = 128;
    private static final int SIMT_MAX_HEAD = 256;
    /** Rows (positions × query heads of a KV head) up to which the one-warp decoding kernel serves. */
    private static final int DECODE_ROWS = 16;
    private static final int MAX_SPLITS = 256;

    private final CudaDevice device;
    private final CudaKernels kernels;
    private final int multiprocessors;
    private final int maxSharedBytes;
    private final Set<String> sharedMemorySet = new HashSet<>();
    private final StepGraphs graphs;
    private DeviceMemory workspace;

    AttentionLaunch(CudaDevice device, CudaKernels kernels, StepGraphs graphs) {
        this.device = device;
        this.graphs = graphs;
        this.kernels = kernels;
        this.multiprocessors = device.info().multiprocessors();
        this.maxSharedBytes = device.info().maxSharedMemoryPerBlockOptin();
    }

    /** The kernel's shape: rows per block, threads, key tile, dynamic shared memory. */
    private record Shape(String kernel, int rowsPerBlock, int threads, int keyTile, int sharedBytes) {
    }

    /**
     * The README's choice: tensor cores for an F16 cache and a listed head size (the one-warp kernel when
     * the rows fit one warp's 16, as in decoding), CUDA cores in F32 otherwise.
     */
    private Shape shape(KvPrecision precision, int headDim, int rows) {
        if (precision == KvPrecision.F16 && MMA_HEAD_SIZES.contains(headDim)) {
            boolean decode = rows <= DECODE_ROWS;
            int blockRows = decode ? 16 : 64;
            int keyTile = decode || headDim == 256 ? 32 : 64;
            int row = headDim + 8;
            int bytes = 2 * (5 * keyTile * row + sharedQueryTerms(headDim) * 2 * blockRows * row);
            if (bytes <= maxSharedBytes) {
                return new Shape((decode ? "attention_mma_decode_f16_hd" : "attention_mma_f16_hd") + headDim, blockRows,
                        decode ? 32 : 128, keyTile, bytes);
            }
        }
        return new Shape("attention_simt_" + precision.suffix(), SIMT_ROWS, 128, SIMT_KEY_TILE, 0);
    }

    /**
     * Terms (hi and lo f16 parts) of the two query copies that the tensor-core kernels keep in shared
     * memory rather than registers (attention_mma.cu, MmaShape): the lo terms above D = 80, both above 128.
     */
    private static int sharedQueryTerms(int headDim) {
        return headDim > 128 ? 2 : headDim > 80 ? 1 : 0;
    }

    void attend(CudaKvStore kv, int layer, KeyRanges ranges, CudaTensor queries, CudaTensor farQueries,
                CudaTensor successiveQueries, CudaTensor trueKeys, int row, int n, int start, int span, float scale, float softCap,
                CudaTensor out) {
        KvShape s = kv.shape();
        int headDim = s.headDim();
        int heads = queries.width() / headDim;
        int group = heads / s.kvHeads();
        if (headDim > SIMT_MAX_HEAD || headDim % 4 != 0) {
            throw new IllegalArgumentException("head size " + headDim + " is not supported by the CUDA attention kernels "
                    + "(a multiple of 4 up to " + SIMT_MAX_HEAD + ")");
        }
        int rows = n * group;
        Shape shape = shape(kv.precision(), headDim, rows);
        int rowBlocks = (rows + shape.rowsPerBlock() - 1) / shape.rowsPerBlock();
        int splits = splits(rowBlocks * s.kvHeads(), start + n, shape.keyTile());
        long workspaceAddress = 0;
        if (splits > 1) {
            // Room for the most splits a call of this size can take, so that a decoding step's graph keeps its workspace.
            long most = (long) Math.max(splits, rows <= DECODE_ROWS ? MAX_SPLITS : splits) * n * heads * (headDim + 2) * Float.BYTES;
            workspaceAddress = workspace(most).address();
        }
        if (shape.sharedBytes() > 48 * 1024 && !sharedMemorySet.contains(shape.kernel())) {
            graphs.refuse("setting a kernel attribute");
            sharedMemorySet.add(shape.kernel());
            kernels.function(shape.kernel()).setMaxDynamicSharedMemory(shape.sharedBytes());
        }
        KernelLauncher k = kernels.get(shape.kernel());
        k.args().pointer(queries.row(row)).pointer(farQueries.row(row)).pointer(successiveQueries.row(row))
                .pointer(kv.keys(layer)).pointer(kv.values(layer)).i64(s.capacity()).pointer(kv.ring(layer)).i32(kv.ringSlots())
                .pointer(trueKeys.row(row)).pointer(out.row(row)).pointer(workspaceAddress).i32(n).i32(start).i32(heads)
                .i32(s.kvHeads()).i32(headDim).i32(ranges.window()).i32(ranges.farKeyLimit())
                .i32(ranges.nearKeysFromRing() ? 1 : 0).i32(ranges.chunk()).i32(span).f32(scale).f32(softCap).i32(splits);
        graphs.launch(k, rowBlocks, splits, s.kvHeads(), shape.threads(), 1, 1, shape.sharedBytes());
        if (splits > 1) {
            KernelLauncher combine = kernels.get("attention_combine");
            combine.args().pointer(workspaceAddress).pointer(out.row(row)).i32(n).i32(heads).i32(headDim).i32(splits);
            graphs.launch(combine, n * heads, 1, 1, 128, 1, 1, 0);
        }
    }

    /**
     * Splits of the keys so that about four blocks per multiprocessor run: none when the rows already give
     * that many blocks (prefill), more as fewer rows meet more keys (decoding at depth), at most one per
     * key tile.
     */
    int splits(int blocksWithoutSplit, int keys, int keyTile) {
        int wanted = (4 * multiprocessors + blocksWithoutSplit - 1) / blocksWithoutSplit;
        int most = Math.min((keys + keyTile - 1) / keyTile, MAX_SPLITS);
        return Math.max(1, Math.min(wanted, most));
    }

    private DeviceMemory workspace(long bytes) {
        if (workspace == null || workspace.bytes() < bytes) {
            graphs.refuse("growing the split-KV workspace");
            if (workspace != null) {
                device.synchronize();
                device.free(workspace);
            }
            workspace = device.allocate("attention split-KV workspace", Math.max(bytes, 1 << 20));
        }
        return workspace;
    }
}
