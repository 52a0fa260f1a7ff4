package dev.longlm.backend.cuda;

import dev.longlm.InputException;
import dev.longlm.attention.KeyRanges;
import dev.longlm.attention.Rope;
import dev.longlm.attention.RopeLayout;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvShape;
import dev.longlm.backend.KvStore;
import dev.longlm.backend.Positions;
import dev.longlm.backend.Tensor;
import dev.longlm.backend.WeightSet;
import dev.longlm.backend.cpu.WeightMatrices;
import dev.longlm.gguf.GgmlType;
import dev.longlm.tensor.TensorData;

import java.lang.foreign.Arena;
import java.lang.ref.Cleaner;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The CUDA backend: the whole forward pass on one NVIDIA GPU. Weights are uploaded once in their GGUF
 * type (never expanded in device memory), activations, KV stores and the Self-Extend ring live on the
 * device, and per forward pass only the tokens and positions go up and the logits come back.
 *
 * <p>Products: decoding-sized batches (at most {@link #MATVEC_ROWS} rows) run the matrix × vector
 * kernels on the weights as stored (quantized weights against 8-bit activations, F32/F16/BF16 weights
 * against float ones); larger batches dequantize the weight to an F16
 * scratch matrix and multiply on tensor cores through cuBLAS (F16 and BF16 weights go to cuBLAS as they
 * are, F32 weights through plain FP32 SGEMM). Attention is one fused kernel reading the position
 * scheme's {@link KeyRanges}: tensor cores for the F16 cache, CUDA cores in F32 for the F32 cache, and
 * split across blocks for decoding.
 *
 * <p>Every operation queues work on the device's one stream; only {@link #read} waits for it. A backend
 * is driven by one thread at a time (it binds the CUDA context to whichever thread calls it).
 */
public final class CudaBackend implements Backend {
    /** Batches up to this many rows use the matrix × vector kernels (several sequences decoded together). */
    static final int MATVEC_ROWS = 8;
    private static final int THREADS = 256;
    private static final int MAX_GRID = 65535;

    private final CudaDevice device;
    private final CudaKernels kernels;
    private final KvPrecision kvPrecision;
    private final AttentionLaunch attention;
    private final StepGraphs graphs;
    private final Map<TensorData, DeviceMatrix> matrices = new IdentityHashMap<>();
    private final Map<float[], DeviceMemory> vectors = new IdentityHashMap<>();
    /** RoPE inverse frequencies by their values (sequences create equal Ropes; dynamic NTK new ones per batch). */
    private final Map<FrequencyKey, DeviceMemory> frequencies = new LinkedHashMap<>();
    private final Arena staging = Arena.ofShared();
    private MemorySegment hostStaging;
    private PinnedHostBuffer readBuffer;
    /**
     * Device memory of buffers that became unreachable without being closed, freed by the driving
     * thread at its next operation (the CUDA context is current there, not on the cleaner's thread).
     */
    private final Queue<DeviceMemory> unreachable = new ConcurrentLinkedQueue<>();
    private final Cleaner cleaner = Cleaner.create();
    private DeviceMemory tokens;
    private PinnedHostBuffer tokenStaging;
    private DeviceMemory deltas;
    private DeviceMemory halfWeights;
    private DeviceMemory halfInputs;
    private Thread boundThread;
    private boolean closed;

    /** A weight matrix on the device in its file type. */
    private record DeviceMatrix(GgmlType type, DeviceMemory memory, int rows, int cols, long rowBytes, String suffix) {
    }

    private record FrequencyKey(double[] values, float magnitude) {
        @Override
        public boolean equals(Object o) {
            return o instanceof FrequencyKey k && Arrays.equals(values, k.values) && magnitude == k.magnitude;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values) * 31 + Float.hashCode(magnitude);
        }
    }

    private CudaBackend(CudaDevice device, KvPrecision kvPrecision, boolean stepGraphs) {
        this.device = device;
        this.kvPrecision = kvPrecision;
        this.boundThread = Thread.currentThread();
        if (device.info().computeCapability().major() < 8) {
            throw new InputException("GPU " + device.info().name() + " has compute capability " + device.info().computeCapability()
                    + "; the CUDA backend needs 8.0 (Ampere) or newer; use --device cpu");
        }
        this.kernels = new CudaKernels(device);
        this.graphs = new StepGraphs(device, stepGraphs);
        this.attention = new AttentionLaunch(device, kernels, graphs);
        this.hostStaging = staging.allocate(1 << 20, 16);
    }

    /**
     * Opens GPU {@code ordinal} with KV stores in {@code kvPrecision}. A machine without the NVIDIA driver,
     * a GPU, cuBLAS or NVRTC gets one {@link CudaUnavailableException} line naming what is missing.
     */
    public static CudaBackend open(int ordinal, KvPrecision kvPrecision) {
        return open(CudaDevice.open(ordinal), kvPrecision);
    }

    /**
     * A backend on {@code device}, opened by the caller with its own library search or kernel cache; the
     * backend owns it from here (closes it on close, and on failure here).
     */
    public static CudaBackend open(CudaDevice device, KvPrecision kvPrecision) {
        return open(device, kvPrecision, !"false".equals(System.getProperty("longlm.cuda.graphs")));
    }

    /** As {@link #open(CudaDevice, KvPrecision)}, with decoding steps replayed as CUDA graphs or not (tests compare both). */
    static CudaBackend open(CudaDevice device, KvPrecision kvPrecision, boolean stepGraphs) {
        try {
            return new CudaBackend(device, kvPrecision, stepGraphs);
        } catch (RuntimeException | Error e) {
            device.close();
            throw e;
        }
    }

    public CudaDevice device() {
        return device;
    }

    public KvPrecision kvPrecision() {
        return kvPrecision;
    }

    @Override
    public String describe() {
        return "cuda: " + device.info().summary() + ", KV cache " + kvPrecision.name() + ", " + device.memory();
    }

    /**
     * Makes the device's context current on the calling thread when another thread drove it last, and
     * frees the memory of buffers that were dropped without being closed.
     */
    private void bind() {
        Thread t = Thread.currentThread();
        if (t != boundThread) {
            device.bindToCurrentThread();
            boundThread = t;
        }
        if (!graphs.recording()) {
            for (DeviceMemory m; (m = unreachable.poll()) != null; ) {
                device.free(m);
            }
        }
    }

    /** Allocates device memory; a full GPU first gets back the memory of buffers that were dropped unclosed. */
    private DeviceMemory allocate(String what, long bytes) {
        graphs.refuse("allocating " + what);
        try {
            return device.allocate(what, bytes);
        } catch (CudaOutOfMemoryException e) {
            System.gc(); // dropped buffers' cleaners queue their memory
            try {
                Thread.sleep(50);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            bind();
            return device.allocate(what, bytes);
        }
    }

    /**
     * The freeing of {@code memory}, which belongs to {@code owner}: run by the owner's close, or queued
     * once the owner becomes unreachable unclosed. Runs once either way.
     */
    private Runnable tracked(Object owner, DeviceMemory memory) {
        Cleaner.Cleanable cleanable = cleaner.register(owner, () -> unreachable.add(memory));
        return () -> {
            cleanable.clean(); // queues the memory; freed at the next operation, or at once below
            if (Thread.currentThread() == boundThread) {
                bind();
            }
        };
    }

    /** 512 rows, llama.cpp's default ubatch: large enough that each dequantized weight feeds the tensor cores well. */
    @Override
    public int promptBatch() {
        return 512;
    }

    @Override
    public dev.longlm.backend.MemoryBudget memoryBudget() {
        return new dev.longlm.backend.MemoryBudget(device.memory().free(), "GPU " + device.info().ordinal() + " ("
                + device.info().name() + ")", "use a smaller model, --kv-type f16, or --device cpu", kvPrecision.bytes(), true);
    }

    @Override
    public boolean holds(WeightSet weights) {
        return matrices.keySet().containsAll(weights.matrices()) && vectors.keySet().containsAll(weights.vectors());
    }

    // ---- weights ----

    @Override
    public void load(WeightSet weights) {
        bind();
        List<TensorData> todo = weights.matrices().stream().filter(t -> !matrices.containsKey(t)).toList();
        List<float[]> vectorsTodo = weights.vectors().stream().filter(v -> !vectors.containsKey(v)).toList();
        long matrixBytes = 0;
        for (TensorData t : todo) {
            requireSupported(t);
            matrixBytes += t.byteSize();
        }
        long vectorBytes = vectorsTodo.stream().mapToLong(v -> 4L * v.length).sum();
        device.ensureFits(List.of(new MemoryRequest("model weights (" + todo.size() + " matrices in their file types)", matrixBytes),
                new MemoryRequest("norms and biases", vectorBytes)));
        for (TensorData t : todo) {
            DeviceMemory m = device.allocate(t.name(), t.byteSize());
            upload(t.bytes().asSlice(0, t.byteSize()), m);
            matrices.put(t, new DeviceMatrix(t.type(), m, t.rows(), t.cols(), t.rowBytes(), t.type().name().toLowerCase(Locale.ROOT)));
        }
        for (float[] v : vectorsTodo) {
            DeviceMemory m = device.allocate("vector of " + v.length, 4L * v.length);
            upload(MemorySegment.ofArray(v), m);
            vectors.put(v, m);
        }
        device.synchronize();
    }

    private static void requireSupported(TensorData t) {
        if (!WeightMatrices.SUPPORTED.contains(t.type())) {
            throw new InputException("tensor '" + t.name() + "' is stored as " + t.type() + ", which the CUDA backend cannot read; "
                    + "supported: " + WeightMatrices.SUPPORTED);
        }
    }

    /** Copies {@code host} (any segment: mapped file, heap, native) to the start of {@code destination}. */
    private void upload(MemorySegment host, DeviceMemory destination) {
        if (host.isNative()) {
            device.stream().copyToDevice(host, destination);
            return;
        }
        // Heap memory cannot be handed to the driver: go through the staging buffer in pieces.
        long chunk = hostStaging.byteSize();
        for (long done = 0; done < host.byteSize(); done += chunk) {
            long n = Math.min(chunk, host.byteSize() - done);
            device.synchronize(); // the previous piece has left the staging buffer
            MemorySegment.copy(host, done, hostStaging, 0, n);
            device.stream().copyToDevice(hostStaging.asSlice(0, n), destination.slice(done, n));
        }
        device.synchronize();
    }

    private DeviceMatrix matrix(TensorData t) {
        DeviceMatrix m = matrices.get(t);
        if (m == null) {
            load(new WeightSet(List.of(t), List.of()));
            m = matrices.get(t);
        }
        return m;
    }

    private long vector(float[] v) {
        if (v == null) {
            return 0;
        }
        DeviceMemory m = vectors.get(v);
        if (m == null) {
            load(new WeightSet(List.of(), List.of(v)));
            m = vectors.get(v);
        }
        return m.address();
    }

    // ---- buffers ----

    @Override
    public Tensor tensor(int rows, int width) {
        bind();
        DeviceMemory memory = allocate("activations " + rows + " × " + width, (long) rows * width * Float.BYTES);
        CudaTensor tensor = new CudaTensor(memory, rows, width);
        tensor.onClose(tracked(tensor, memory));
        return tensor;
    }

    /**
     * Positions kept on the host and copied to a device array of doubles at {@link #upload(Positions, int)}.
     * Steps run as they are copy through pageable staging (the driver takes the bytes before the call
     * returns, so a prefill's next chunk may overwrite them while the first is still queued); a captured or
     * replayed step copies from a pinned mirror, which its graph reads at launch. The host writes the
     * mirror only between steps that each ended reading their logits, so no copy from it is in flight.
     */
    private static final class DevicePositions implements Positions {
        private final double[] host;
        private final DeviceMemory memory;
        private final PinnedHostBuffer pinned;
        private Runnable free = () -> { };

        DevicePositions(double[] host, DeviceMemory memory, PinnedHostBuffer pinned) {
            this.host = host;
            this.memory = memory;
            this.pinned = pinned;
        }

        @Override
        public double[] host() {
            return host;
        }

        DeviceMemory memory() {
            return memory;
        }

        @Override
        public void close() {
            free.run();
            pinned.close();
        }
    }

    @Override
    public Positions positions(int rows) {
        bind();
        DeviceMemory memory = allocate("RoPE positions", 8L * rows);
        DevicePositions positions = new DevicePositions(new double[rows], memory, device.allocatePinned(8L * rows));
        positions.free = tracked(positions, memory);
        return positions;
    }

    @Override
    public void upload(Positions positions, int rows) {
        bind();
        DevicePositions p = (DevicePositions) positions;
        stepInput(MemorySegment.ofArray(p.host()).asSlice(0, 8L * rows), p.pinned, p.memory());
    }

    /**
     * Copies a step's host input (token ids, positions) to {@code destination}: through the pageable staging
     * when the step runs as it is, through the pinned {@code mirror} when it is captured or replayed, whose
     * graph copies from the mirror at launch (see {@link DevicePositions}).
     */
    private void stepInput(MemorySegment host, PinnedHostBuffer mirror, DeviceMemory destination) {
        if (!graphs.recording()) {
            copyUp(host, destination);
            return;
        }
        long bytes = host.byteSize();
        MemorySegment.copy(host, 0, mirror.segment(), 0, bytes);
        graphs.other(() -> device.stream().copyToDevice(mirror.segment().asSlice(0, bytes), destination.slice(0, bytes)),
                mirror.segment().address(), destination.address(), bytes);
    }

    /**
     * A small host → device copy through the staging buffer. The driver takes pageable memory into its
     * own staging before {@code cuMemcpyHtoDAsync} returns, so the buffer may be reused at once.
     */
    private void copyUp(MemorySegment host, DeviceMemory destination) {
        graphs.refuse("a copy from pageable memory");
        if (host.byteSize() > hostStaging.byteSize()) {
            upload(host, destination);
            return;
        }
        MemorySegment.copy(host, 0, hostStaging, 0, host.byteSize());
        device.stream().copyToDevice(hostStaging.asSlice(0, host.byteSize()), destination.slice(0, host.byteSize()));
    }

    @Override
    public KvStore kvStore(KvShape shape) {
        bind();
        long bytes = shape.elements() * kvPrecision.bytes();
        device.ensureFits(List.of(new MemoryRequest("KV cache for " + shape.capacity() + " positions (" + kvPrecision.name()
                + (shape.ringSlots() > 0 ? ", plus " + shape.ringSlots() + " ring keys per layer" : "") + ")", bytes)));
        return new CudaKvStore(device, shape, kvPrecision);
    }

    private static CudaTensor dev(Tensor t) {
        return (CudaTensor) t;
    }

    private static CudaKvStore dev(KvStore s) {
        return (CudaKvStore) s;
    }

    private static int blocksFor(long count) {
        return (int) Math.max(1, Math.min(MAX_GRID, (count + THREADS - 1) / THREADS));
    }

    /** Threads for one block per row over {@code width} values: a multiple of 32, at most 256. */
    private static int rowThreads(int width) {
        return Math.min(256, (width + 31) / 32 * 32);
    }

    // ---- operations ----

    @Override
    public void embed(TensorData table, int[] tokenIds, int offset, int n, Tensor out) {
        bind();
        DeviceMatrix m = matrix(table);
        DeviceMemory ids = tokenBuffer(n);
        stepInput(MemorySegment.ofArray(tokenIds).asSlice(4L * offset, 4L * n), tokenStaging, ids);
        KernelLauncher k = kernels.get("get_rows_" + m.suffix());
        k.args().pointer(m.memory()).pointer(ids).pointer(dev(out).memory()).i32(n).i32(m.cols()).i64(m.rowBytes());
        graphs.launch(k, n, (m.cols() + 1023) / 1024, 1, 128, 1, 1, 0);
    }

    /** The device token ids and their pinned staging, grown to {@code n} ids (the step graphs copy from the staging). */
    private DeviceMemory tokenBuffer(int n) {
        if (tokens == null || tokens.bytes() < 4L * n) {
            graphs.refuse("growing the token buffer");
            if (tokens != null) {
                device.synchronize();
                device.free(tokens);
                tokenStaging.close();
            }
            tokens = device.allocate("token ids", 4L * Math.max(n, 64));
            tokenStaging = device.allocatePinned(tokens.bytes());
        }
        return tokens;
    }

    @Override
    public void scale(Tensor x, int n, float factor) {
        bind();
        long count = (long) n * x.width();
        KernelLauncher k = kernels.get("scale");
        k.args().pointer(dev(x).memory()).f32(factor).i64(count);
        graphs.launch(k, blocksFor(count), 1, 1, THREADS, 1, 1, 0);
    }

    @Override
    public void rmsNorm(float[] weight, float eps, Tensor x, Tensor out, int n) {
        bind();
        KernelLauncher k = kernels.get("rms_norm");
        k.args().pointer(dev(x).memory()).pointer(vector(weight)).pointer(dev(out).memory()).i32(n).i32(x.width()).f32(eps);
        graphs.launch(k, n, 1, 1, rowThreads(x.width()), 1, 1, 0);
    }

    @Override
    public void layerNorm(float[] weight, float[] bias, float eps, Tensor x, Tensor out, int n) {
        bind();
        KernelLauncher k = kernels.get("layer_norm");
        k.args().pointer(dev(x).memory()).pointer(vector(weight)).pointer(vector(bias)).pointer(dev(out).memory()).i32(n)
                .i32(x.width()).f32(eps);
        graphs.launch(k, n, 1, 1, rowThreads(x.width()), 1, 1, 0);
    }

    @Override
    public void headRmsNorm(float[] weight, float eps, Tensor x, int n) {
        bind();
        int headDim = weight.length;
        int vectorsCount = n * x.width() / headDim;
        KernelLauncher k = kernels.get("rms_norm");
        k.args().pointer(dev(x).memory()).pointer(vector(weight)).pointer(dev(x).memory()).i32(vectorsCount).i32(headDim).f32(eps);
        graphs.launch(k, vectorsCount, 1, 1, rowThreads(headDim), 1, 1, 0);
    }

    @Override
    public void linear(TensorData weight, float[] bias, Tensor x, Tensor out, int n) {
        bind();
        DeviceMatrix w = matrix(weight);
        CudaTensor in = dev(x);
        CudaTensor o = dev(out);
        if (n <= MATVEC_ROWS && isQuantized(w.type())) {
            matvecQ8(w, in, o, n);
        } else if (n <= MATVEC_ROWS) {
            if (n == 1) { // half the registers, twice the resident warps
                KernelLauncher k = kernels.get("matvec_" + w.suffix() + "_n1");
                k.args().pointer(w.memory()).pointer(in.memory()).pointer(o.memory()).i32(w.rows()).i32(w.cols()).i64(w.rowBytes());
                graphs.launch(k, (w.rows() + 3) / 4, 1, 1, 128, 1, 1, 0);
            } else {
                KernelLauncher k = kernels.get("matvec_" + w.suffix());
                k.args().pointer(w.memory()).pointer(in.memory()).pointer(o.memory()).i32(w.rows()).i32(w.cols()).i64(w.rowBytes())
                        .i32(n);
                graphs.launch(k, (w.rows() + 3) / 4, 1, 1, 128, 1, 1, 0);
            }
        } else {
            gemm(w, in, o, n);
        }
        if (bias != null) {
            long count = (long) n * w.rows();
            KernelLauncher k = kernels.get("add_bias");
            k.args().pointer(o.memory()).pointer(vector(bias)).i32(n).i32(w.rows());
            graphs.launch(k, blocksFor(count), 1, 1, THREADS, 1, 1, 0);
        }
    }

    private static boolean isQuantized(GgmlType type) {
        return type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16;
    }

    /**
     * Quantized weights against 8-bit activations (ggml's Q8_1 rounding, as llama.cpp's CPU and CUDA
     * backends and our CPU integer kernels do): integer dot products per block instead of dequantizing
     * every weight to float, which keeps the kernels at the memory's speed. The levels and scales live
     * in the F16-input scratch (2 bytes per input; they take 1.25).
     */
    private void matvecQ8(DeviceMatrix w, CudaTensor x, CudaTensor out, int n) {
        long inputs = (long) n * w.cols();
        DeviceMemory scratch = halfInputs(inputs);
        DeviceMemory levels = scratch.slice(0, inputs);
        DeviceMemory scales = scratch.slice(inputs, inputs / 4);
        KernelLauncher q = kernels.get("quantize_q8");
        q.args().pointer(x.memory()).pointer(levels).pointer(scales).i32(w.cols()).i32(n);
        graphs.launch(q, (w.cols() + 127) / 128, n, 1, 128, 1, 1, 0);
        KernelLauncher k = kernels.get("matvec_q8_" + w.suffix() + (n == 1 ? "_n1" : ""));
        KernelArgs args = k.args().pointer(w.memory()).pointer(levels).pointer(scales).pointer(out.memory()).i32(w.rows())
                .i32(w.cols()).i64(w.rowBytes());
        if (n > 1) {
            args.i32(n);
        }
        graphs.launch(k, (w.rows() + 3) / 4, 1, 1, 128, 1, 1, 0);
    }

    /**
     * {@code out = x·Wᵀ} on tensor cores (F16/BF16 inputs, F32 accumulation) or in FP32 for F32 weights.
     * F16 and BF16 weights are exact in their type, so their products take the activations as two
     * halves (hi + lo) in two GEMMs and come within about 2^-22 of the F32 product; dequantized weights
     * carry their own rounding, and take one GEMM of F16 activations, as llama.cpp's cuBLAS path does.
     */
    private void gemm(DeviceMatrix w, CudaTensor x, CudaTensor out, int n) {
        long inputs = (long) n * w.cols();
        long y = out.memory().address();
        switch (w.type()) {
            case F32 -> graphs.other(() -> device.cublas().linear(GemmPrecision.F32, w.memory().address(), x.memory().address(),
                    y, w.rows(), w.cols(), n), w.memory().address(), x.memory().address(), y, n);
            case BF16, F16 -> {
                boolean bf16 = w.type() == GgmlType.BF16;
                GemmPrecision precision = bf16 ? GemmPrecision.BF16_TO_F32 : GemmPrecision.F16_TO_F32;
                DeviceMemory halves = halfInputs(2 * inputs);
                DeviceMemory hi = halves.slice(0, 2 * inputs);
                DeviceMemory lo = halves.slice(2 * inputs, 2 * inputs);
                KernelLauncher k = kernels.get(bf16 ? "split_f32_to_bf16" : "split_f32_to_f16");
                k.args().pointer(x.memory()).pointer(hi).pointer(lo).i64(inputs);
                graphs.launch(k, blocksFor(inputs), 1, 1, THREADS, 1, 1, 0);
                graphs.other(() -> device.cublas().linear(precision, w.memory().address(), hi.address(), y, w.rows(), w.cols(), n,
                        1f, 0f), w.memory().address(), hi.address(), y, n);
                graphs.other(() -> device.cublas().linear(precision, w.memory().address(), lo.address(), y, w.rows(), w.cols(), n,
                        1f, 1f), w.memory().address(), lo.address(), y, n);
            }
            default -> {
                DeviceMemory wh = halfWeights((long) w.rows() * w.cols());
                KernelLauncher k = kernels.get("dequant_f16_" + w.suffix());
                k.args().pointer(w.memory()).pointer(wh).i32(w.rows()).i32(w.cols()).i64(w.rowBytes());
                graphs.launch(k, w.rows(), (w.cols() + 1023) / 1024, 1, 128, 1, 1, 0);
                DeviceMemory xh = halfInputs(inputs);
                convert("convert_f32_to_f16", x.memory(), xh, inputs);
                graphs.other(() -> device.cublas().linear(GemmPrecision.F16_TO_F32, wh.address(), xh.address(),
                        out.memory().address(), w.rows(), w.cols(), n), wh.address(), xh.address(), y, n);
            }
        }
    }

    private void convert(String kernel, DeviceMemory from, DeviceMemory to, long count) {
        KernelLauncher k = kernels.get(kernel);
        k.args().pointer(from).pointer(to).i64(count);
        graphs.launch(k, blocksFor(count), 1, 1, THREADS, 1, 1, 0);
    }

    /** Scratch for a dequantized weight matrix in F16 (grown to the largest product seen). */
    private DeviceMemory halfWeights(long elements) {
        if (halfWeights == null || halfWeights.bytes() < 2 * elements) {
            if (halfWeights != null) {
                device.synchronize();
                device.free(halfWeights);
            }
            halfWeights = device.allocate("F16 scratch for dequantized weights", 2 * elements);
        }
        return halfWeights;
    }

    private DeviceMemory halfInputs(long elements) {
        if (halfInputs == null || halfInputs.bytes() < 2 * elements) {
            if (halfInputs != null) {
                device.synchronize();
                device.free(halfInputs);
            }
            halfInputs = device.allocate("F16 scratch for GEMM inputs", 2 * elements);
        }
        return halfInputs;
    }

    @Override
    public void add(Tensor from, Tensor into, int n) {
        bind();
        long count = (long) n * into.width();
        KernelLauncher k = kernels.get("add");
        k.args().pointer(dev(from).memory()).pointer(dev(into).memory()).i64(count);
        graphs.launch(k, blocksFor(count), 1, 1, THREADS, 1, 1, 0);
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, int n) {
        gated("swiglu", gate, up, n);
    }

    @Override
    public void geglu(Tensor gate, Tensor up, int n) {
        gated("geglu", gate, up, n);
    }

    private void gated(String kernel, Tensor gate, Tensor up, int n) {
        bind();
        long count = (long) n * up.width();
        KernelLauncher k = kernels.get(kernel);
        k.args().pointer(dev(gate).memory()).pointer(dev(up).memory()).i64(count);
        graphs.launch(k, blocksFor(count), 1, 1, THREADS, 1, 1, 0);
    }

    @Override
    public void gelu(Tensor x, int n) {
        bind();
        long count = (long) n * x.width();
        KernelLauncher k = kernels.get("gelu_inplace");
        k.args().pointer(dev(x).memory()).i64(count);
        graphs.launch(k, blocksFor(count), 1, 1, THREADS, 1, 1, 0);
    }

    @Override
    public void softCap(Tensor x, int n, float cap) {
        bind();
        long count = (long) n * x.width();
        KernelLauncher k = kernels.get("soft_cap");
        k.args().pointer(dev(x).memory()).i64(count).f32(cap);
        graphs.launch(k, blocksFor(count), 1, 1, THREADS, 1, 1, 0);
    }

    @Override
    public void copyRows(Tensor from, int fromRow, Tensor to, int toRow, int n) {
        bind();
        long bytes = (long) n * from.width() * Float.BYTES;
        long destination = dev(to).row(toRow);
        long source = dev(from).row(fromRow);
        graphs.other(() -> device.driver().copyDeviceAsync(destination, source, bytes, device.stream().handle()), destination, source,
                bytes);
    }

    /** The device copy of {@code rope}'s inverse frequencies (uploaded once per distinct set). */
    private DeviceMemory frequencies(Rope rope) {
        FrequencyKey key = new FrequencyKey(rope.inverseFrequencies(), rope.magnitude());
        DeviceMemory m = frequencies.get(key);
        if (m == null) {
            if (frequencies.size() >= 64) {
                // Dynamic NTK makes a new set per batch: keep the newest few.
                var oldest = frequencies.entrySet().iterator().next();
                device.synchronize();
                device.free(oldest.getValue());
                frequencies.remove(oldest.getKey());
            }
            m = device.allocate("RoPE frequencies", 8L * key.values().length);
            copyUp(MemorySegment.ofArray(key.values()), m);
            frequencies.put(key, m);
        }
        return m;
    }

    @Override
    public void rope(Rope rope, Tensor src, Tensor dst, int row, int n, Positions positions) {
        bind();
        CudaTensor s = dev(src);
        CudaTensor d = dev(dst);
        DeviceMemory p = ((DevicePositions) positions).memory();
        KernelLauncher k = kernels.get("rope");
        k.args().pointer(s.row(row)).pointer(d.row(row)).i32(n).i32(s.width() / rope.headDim()).i32(rope.headDim())
                .i32(rope.rotaryDims()).i32(rope.layout() == RopeLayout.NEOX ? 1 : 0).pointer(p.address() + 8L * row)
                .pointer(frequencies(rope)).f32(rope.magnitude()).i64(s.width()).i64(d.width());
        graphs.launch(k, n, 1, 1, 64, 1, 1, 0);
    }

    @Override
    public void storeKv(KvStore store, int layer, Tensor keys, Tensor values, int row, int n, int position) {
        bind();
        CudaKvStore kv = dev(store);
        KvShape shape = kv.shape();
        KernelLauncher k = kernels.get("store_kv_" + kv.precision().suffix());
        k.args().pointer(dev(keys).row(row)).pointer(kv.keys(layer)).i32(n).i32(shape.kvHeads()).i32(shape.headDim())
                .i64(shape.capacity()).i32(position).i64(keys.width());
        graphs.launch(k, n, 1, 1, 128, 1, 1, 0);
        k.args().pointer(dev(values).row(row)).pointer(kv.values(layer)).i32(n).i32(shape.kvHeads()).i32(shape.headDim())
                .i64(shape.capacity()).i32(position).i64(values.width());
        graphs.launch(k, n, 1, 1, 128, 1, 1, 0);
    }

    @Override
    public void storeRingKeys(KvStore store, int layer, Tensor keys, int row, int n, int position) {
        bind();
        CudaKvStore kv = dev(store);
        KvShape shape = kv.shape();
        KernelLauncher k = kernels.get("store_ring_" + kv.precision().suffix());
        k.args().pointer(dev(keys).row(row)).pointer(kv.ring(layer)).i32(n).i32(shape.kvHeads()).i32(shape.headDim())
                .i32(kv.ringSlots()).i32(position).i64(keys.width());
        graphs.launch(k, n, 1, 1, 128, 1, 1, 0);
    }

    @Override
    public void attend(KvStore store, int layer, KeyRanges ranges, Tensor queries, Tensor farQueries, Tensor successiveQueries,
                       Tensor trueKeys, int row, int n, int start, int span, float scale, float softCap, Tensor out) {
        bind();
        CudaKvStore kv = dev(store);
        attention.attend(kv, layer, ranges, dev(queries), dev(farQueries), dev(successiveQueries), dev(trueKeys), row, n, start,
                span, scale, softCap, dev(out));
    }

    @Override
    public void rotateStoredKeys(KvStore store, Rope rope, int from, double[] rotation) {
        bind();
        CudaKvStore kv = dev(store);
        KvShape shape = kv.shape();
        if (deltas == null || deltas.bytes() < 8L * rotation.length) {
            if (deltas != null) {
                device.synchronize();
                device.free(deltas);
            }
            deltas = device.allocate("key rotations", 8L * Math.max(rotation.length, 1024));
        }
        copyUp(MemorySegment.ofArray(rotation), deltas);
        KernelLauncher k = kernels.get("rotate_cached_keys_" + kv.precision().suffix());
        for (int layer = 0; layer < shape.layers(); layer++) {
            k.args().pointer(kv.keys(layer)).i64(shape.capacity()).i32(shape.kvHeads()).i32(shape.headDim()).i32(rope.rotaryDims())
                    .i32(rope.layout() == RopeLayout.NEOX ? 1 : 0).i32(from).i32(rotation.length).pointer(deltas)
                    .pointer(frequencies(rope)).f32(rope.magnitude());
            graphs.launch(k, rotation.length, 1, 1, 64, 1, 1, 0);
        }
        device.synchronize(); // the rotations are read from the staging buffer's copy before it is reused
    }

    /** Decoding steps are replayed as CUDA graphs with their changed arguments updated ({@link StepGraphs}). */
    @Override
    public void replay(Object shape, Runnable step) {
        bind();
        graphs.run(shape, step);
    }

    @Override
    public void write(float[] host, Tensor t, int rows) {
        bind();
        upload(MemorySegment.ofArray(host).asSlice(0, (long) rows * t.width() * Float.BYTES),
                dev(t).memory().slice(0, (long) rows * t.width() * Float.BYTES));
    }

    /** The pinned buffer device → host copies land in, grown to at least {@code bytes}. */
    private PinnedHostBuffer readBuffer(long bytes) {
        if (readBuffer == null || readBuffer.bytes() < bytes) {
            if (readBuffer != null) {
                device.synchronize(); // no copy may still be landing in the old buffer
                readBuffer.close();
            }
            readBuffer = device.allocatePinned(Math.max(bytes, 1 << 20));
        }
        return readBuffer;
    }

    @Override
    public void readKv(KvStore store, dev.longlm.backend.KvArray array, int layer, int first, int n, MemorySegment host) {
        bind();
        CudaKvStore kv = dev(store);
        int heads = kv.shape().kvHeads();
        long headBytes = (long) n * kv.shape().headDim() * kv.precision().bytes();
        MemorySegment pinned = readBuffer(heads * headBytes).segment();
        for (int h = 0; h < heads; h++) {
            device.stream().copyToHost(kv.rows(array, layer, h, first, n), pinned.asSlice(h * headBytes, headBytes));
        }
        device.synchronize();
        MemorySegment.copy(pinned, 0, host, 0, heads * headBytes);
    }

    @Override
    public void writeKv(KvStore store, dev.longlm.backend.KvArray array, int layer, int first, int n, MemorySegment host) {
        bind();
        CudaKvStore kv = dev(store);
        long headBytes = (long) n * kv.shape().headDim() * kv.precision().bytes();
        for (int h = 0; h < kv.shape().kvHeads(); h++) {
            upload(host.asSlice(h * headBytes, headBytes), kv.rows(array, layer, h, first, n));
        }
        device.synchronize(); // the caller may reuse host (a native segment is copied asynchronously) once this returns
    }

    @Override
    public float[] read(Tensor t, int rows) {
        bind();
        long bytes = (long) rows * t.width() * Float.BYTES;
        PinnedHostBuffer readBuffer = readBuffer(bytes);
        CudaTensor tensor = dev(t);
        device.stream().copyToHost(tensor.memory().slice(0, bytes), readBuffer.segment().asSlice(0, bytes));
        device.synchronize();
        float[] host = tensor.host();
        MemorySegment.copy(readBuffer.segment(), ValueLayout.JAVA_FLOAT, 0, host, 0, rows * t.width());
        return host;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<AutoCloseable> parts = new ArrayList<>();
        parts.add(graphs::close);
        if (readBuffer != null) {
            parts.add(readBuffer);
        }
        parts.add(device);
        parts.add(staging::close);
        RuntimeException first = null;
        for (AutoCloseable part : parts) {
            try {
                part.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
