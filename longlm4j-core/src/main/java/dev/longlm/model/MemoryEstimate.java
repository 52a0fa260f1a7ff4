package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.backend.MemoryBudget;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;

/**
 * What running a model needs, estimated before anything is allocated, so that an oversized context
 * is refused with one line instead of an {@link OutOfMemoryError} part-way through.
 *
 * <p>The estimate is independent of where the memory lives: a caller compares it with the JVM heap
 * ({@link #availableHeap()}) or with an accelerator's memory, and passes the KV-cache element size
 * of its backend (4 bytes for the CPU's float cache).
 *
 * @param residentWeightBytes weights that must be copied into the budget's memory (on the CPU: the
 *                            norm and bias vectors, dequantized to floats; on a GPU: everything)
 * @param mappedWeightBytes   weights used in place from the memory-mapped file (not in the budget)
 * @param kvCacheBytes        keys and values of every position of every layer, plus the Self-Extend
 *                            window ring of W keys per layer
 * @param activationBytes     buffers for one batch of the forward pass
 */
public record MemoryEstimate(long residentWeightBytes, long mappedWeightBytes, long kvCacheBytes, long activationBytes) {
    /** The CPU backend's KV-cache element: a float. */
    public static final int CPU_KV_ELEMENT_BYTES = Float.BYTES;

    /** Bytes that must fit in the budget. */
    public long requiredBytes() {
        return residentWeightBytes + kvCacheBytes + activationBytes;
    }

    /** The same estimate with {@code n} sequences (KV caches and activation buffers) instead of one. */
    public MemoryEstimate times(int sequences) {
        return new MemoryEstimate(residentWeightBytes, mappedWeightBytes, kvCacheBytes * sequences, activationBytes * sequences);
    }

    /** Only the parts one more sequence adds (its KV cache and buffers), for budgets that already hold the weights. */
    public MemoryEstimate withoutWeights() {
        return new MemoryEstimate(0, 0, kvCacheBytes, activationBytes);
    }

    /**
     * One sequence of up to {@code capacity} positions under {@code method} on a backend with
     * {@code budget}'s KV element size and weight placement, with prompt batches of {@code batch}
     * positions; {@code allLogits} keeps a row of logits per batch position (scoring) instead of only the last.
     */
    public static MemoryEstimate forSession(GgufFile file, ModelConfig config, ContextMethod method, int capacity,
                                            int batch, boolean allLogits, MemoryBudget budget) {
        return of(file, config, capacity, method.positionScheme().ringSlots(), batch, allLogits, budget.kvElementBytes(),
                budget.weightsResident());
    }

    /** Most positions the CPU backend's cache can hold: it keeps each layer's keys in one int-indexed Java array. */
    public static int maxCpuPositions(ModelConfig config) {
        return (Integer.MAX_VALUE - 8) / config.kvDim();
    }

    /**
     * The general form.
     *
     * @param windowKeys          Self-Extend's ring of true-position keys per layer (0 for plain attention)
     * @param bytesPerKvElement   size of one cached key or value component in the backend's format
     * @param weightsResident     true when every weight must be copied into the budget (an accelerator)
     */
    public static MemoryEstimate of(GgufFile file, ModelConfig config, int capacity, int windowKeys, int batch,
                                    boolean allLogits, int bytesPerKvElement, boolean weightsResident) {
        long vectors = 0;
        long matrices = 0;
        for (GgufTensorInfo t : file.tensorList()) {
            if (t.shape().length == 1 && !weightsResident) {
                vectors += t.elementCount() * Float.BYTES;
            } else {
                matrices += t.byteSize();
            }
        }
        long resident = weightsResident ? matrices + vectors : vectors;
        long mapped = weightsResident ? 0 : matrices;
        return new MemoryEstimate(resident, mapped, kvCacheBytes(config, capacity, windowKeys, bytesPerKvElement),
                activationBytes(config, batch, allLogits));
    }

    /** layers × (capacity × kvDim × 2 (keys and values) + W window keys × kvDim) × bytes per element. */
    public static long kvCacheBytes(ModelConfig config, int capacity, int windowKeys, int bytesPerElement) {
        long perLayer = 2L * capacity * config.kvDim() + (long) windowKeys * config.kvDim();
        return config.layers() * perLayer * bytesPerElement;
    }

    /** The forward pass's buffers for {@code batch} positions (as {@link InferenceState} allocates them). */
    public static long activationBytes(ModelConfig c, int batch, boolean allLogits) {
        long perPosition = 3L * c.dim() + 3L * c.queryDim() + 2L * c.kvDim() + 2L * c.ffnDim();
        long rows = 3L * c.queryDim() + 2L * c.kvDim();
        long logits = (allLogits ? (long) batch : 1L) * c.vocabSize();
        return (batch * perPosition + rows + logits) * Float.BYTES;
    }

    /**
     * Throws an {@link InputException} naming both numbers and what to change when this estimate
     * needs more than {@code availableBytes}.
     *
     * @param budget what the budget is, e.g. "the Java heap"
     * @param remedy what the user can change, e.g. "lower --ctx or raise -Xmx"
     */
    public void requireFits(long availableBytes, String what, String budget, String remedy) {
        if (requiredBytes() > availableBytes) {
            throw new InputException(what + " needs " + describe() + ", but " + budget + " has " + mib(availableBytes)
                    + " available; " + remedy);
        }
    }

    /** e.g. "3072.0 MiB (KV cache 3000.0 MiB, activations 70.0 MiB, weights 2.0 MiB)". */
    public String describe() {
        return mib(requiredBytes()) + " (KV cache " + mib(kvCacheBytes) + ", activations " + mib(activationBytes)
                + (residentWeightBytes > 0 ? ", weights " + mib(residentWeightBytes) : "") + ")";
    }

    /** Heap this JVM can still allocate: its maximum less what is in use now. */
    public static long availableHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
