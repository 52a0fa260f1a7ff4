package dev.longlm.backend;

import dev.longlm.attention.KeyRanges;
import dev.longlm.attention.Rope;
import dev.longlm.tensor.TensorData;

/**
 * Where a forward pass runs: a backend owns the weights it was given ({@link #load}, once), the
 * activation buffers ({@link #tensor}) and the key/value stores ({@link #kvStore}) it allocates, and the
 * kernels behind every operation below. The forward pass ({@code model.Transformer}) is written once
 * against this interface; a GPU backend keeps everything on the device and copies only the logits back
 * ({@link #read}).
 *
 * <p>Operations work on rows {@code [0, n)} of their tensors unless they take a first row. Weights are
 * named by the {@link TensorData} and {@code float[]} objects given to {@link #load}. A backend is used by
 * one thread at a time.
 */
public interface Backend extends AutoCloseable {
    /** One line for {@code info}/{@code bench}: the device, its memory, the kernels it runs. */
    String describe();

    /**
     * Prompt tokens per forward pass that suit this backend: enough rows for its matrix × matrix kernels,
     * few enough for its activation buffers (the CPU's caches, a GPU's tensor cores).
     */
    int promptBatch();

    /** What memory is left for weights not yet loaded, KV stores and activations. */
    MemoryBudget memoryBudget();

    /** Whether every weight of {@code weights} is loaded already (so a memory check need not count them). */
    boolean holds(WeightSet weights);

    /** Takes the weights into the backend's own representation; checks memory first. Idempotent per weight. */
    void load(WeightSet weights);

    /** A new activation buffer of {@code rows × width} floats. */
    Tensor tensor(int rows, int width);

    /** A new table of RoPE positions for up to {@code rows} rows. */
    Positions positions(int rows);

    /** Makes the first {@code rows} host values of {@code positions} visible to the kernels (after they change). */
    void upload(Positions positions, int rows);

    /** A new key/value store, memory checked before it is claimed. */
    KvStore kvStore(KvShape shape);

    /** Rows of the embedding table {@code table} for {@code tokens[offset …]} into {@code out}. */
    void embed(TensorData table, int[] tokens, int offset, int n, Tensor out);

    void scale(Tensor x, int n, float factor);

    /** RMSNorm of each row: {@code out = x / sqrt(mean(x²) + eps) · weight}; in place allowed. */
    void rmsNorm(float[] weight, float eps, Tensor x, Tensor out, int n);

    /** LayerNorm of each row with an optional bias; in place allowed. */
    void layerNorm(float[] weight, float[] bias, float eps, Tensor x, Tensor out, int n);

    /** RMSNorm of each {@code headDim}-sized head vector of each row, in place (Qwen 3's Q/K norm). */
    void headRmsNorm(float[] weight, float eps, Tensor x, int n);

    /** {@code out = x·Wᵀ (+ bias)} for each row: W is {@code rows × cols} of the output × input size. */
    void linear(TensorData weight, float[] bias, Tensor x, Tensor out, int n);

    /** {@code into += from}, row-wise over the first n rows. */
    void add(Tensor from, Tensor into, int n);

    /** {@code up = silu(gate) ⊙ up}. */
    void swiglu(Tensor gate, Tensor up, int n);

    /** {@code up = gelu(gate) ⊙ up}. */
    void geglu(Tensor gate, Tensor up, int n);

    /** {@code x = gelu(x)} in place. */
    void gelu(Tensor x, int n);

    /** {@code x = cap·tanh(x/cap)} in place. */
    void softCap(Tensor x, int n, float cap);

    /** Copies rows {@code [fromRow, fromRow+n)} of {@code from} to rows starting at {@code toRow} of {@code to}. */
    void copyRows(Tensor from, int fromRow, Tensor to, int toRow, int n);

    /**
     * Rotates the head vectors of rows {@code [row, row+n)} of {@code src} with {@code rope}, row r to
     * position r of the uploaded {@code positions}, into the same rows of {@code dst}; in place allowed.
     */
    void rope(Rope rope, Tensor src, Tensor dst, int row, int n, Positions positions);

    /** Stores rows {@code [row, row+n)} of {@code keys} and {@code values} (already rotated) at positions {@code position …}. */
    void storeKv(KvStore store, int layer, Tensor keys, Tensor values, int row, int n, int position);

    /** Stores rows {@code [row, row+n)} of true-position {@code keys} in the ring, key at position p in slot {@code p % ringSlots}. */
    void storeRingKeys(KvStore store, int layer, Tensor keys, int row, int n, int position);

    /**
     * Fused attention of the {@code n} queries at positions {@code start …} (rows {@code [row, row+n)} of
     * the query tensors) against the store's keys {@code 0 … start+n-1}, under {@code ranges} (whose
     * Javadoc is the kernel's specification): near keys against {@code queries}, far keys against
     * {@code farQueries}, successive keys of chunked ranges against {@code successiveQueries}; near keys of
     * this call come from {@code trueKeys} when the ranges ask for true-position keys. Keys farther than
     * {@code span} are masked. Scores are {@code q·k·scale}, soft-capped by {@code softCap} when it is positive.
     */
    void attend(KvStore store, int layer, KeyRanges ranges, Tensor queries, Tensor farQueries, Tensor successiveQueries,
                Tensor trueKeys, int row, int n, int start, int span, float scale, float softCap, Tensor out);

    /** Rotates the stored keys at positions {@code from …} of every layer by {@code deltas[i]} (llama.cpp's regrouping). */
    void rotateStoredKeys(KvStore store, Rope rope, int from, double[] deltas);

    /**
     * Runs {@code step}, a forward pass's operations between its host inputs (tokens, positions, already
     * set) and reading its outputs. A backend may record a step the first times it meets {@code shape} and
     * replay it afterwards (a GPU's graph), so {@code step} must issue the same operations each time it
     * runs under an equal {@code shape}, differing only in their scalar arguments (positions, lengths);
     * null runs it as it is.
     */
    default void replay(Object shape, Runnable step) {
        step.run();
    }

    /**
     * Copies rows {@code [first, first+n)} of layer {@code layer}'s {@code array} (positions of the keys or
     * values, slots of the ring), every KV head, into {@code host}: {@link KvStore#element()}s in little-endian
     * order, head-major ({@code [kvHead][row][headDim]}) as stores keep them. For saving a sequence's cache
     * to a file, not for the forward pass; returns once the copy is complete.
     */
    void readKv(KvStore store, KvArray array, int layer, int first, int n, java.lang.foreign.MemorySegment host);

    /** The reverse of {@link #readKv}: {@code host}, laid out as there, into rows {@code [first, first+n)}. */
    void writeKv(KvStore store, KvArray array, int layer, int first, int n, java.lang.foreign.MemorySegment host);

    /** Copies the first {@code rows} rows of {@code host} (row-major, {@code t.width()} per row) into {@code t}. */
    void write(float[] host, Tensor t, int rows);

    /**
     * The first {@code rows} rows of {@code t} on the host, as one row-major array that stays valid until the
     * next operation: the only copy off the device a forward pass needs (the logits).
     */
    float[] read(Tensor t, int rows);

    @Override
    void close();
}
