package dev.longlm.attention;

/**
 * llama.cpp's approximation of Self-Extend ({@code llama-completion -gan G -gaw W}, llama.cpp 0.5.0),
 * reproduced operation for operation so that users can compare it with the exact method.
 *
 * <p>llama.cpp does not give a query two positions. Before each decode call it checks
 * {@code nPast >= gaI + W} and, while that holds, rewrites the positions of cached keys: the block
 * of W keys starting at token {@code k·W} (k = operations so far) is divided by G, the keys after it
 * move down by {@code W - W/G}, and the next query is placed at {@code nPast} (reduced likewise).
 * Cached keys are re-rotated by each position change. Its division step (llama_kv_cells::pos_div)
 * records the rotation with the opposite sign, so a grouped key j ends up rotated to angle
 * {@code 2j - j/G} while masked at position {@code j/G}; we apply the same rotations.
 *
 * <p>Keys are cached at their current angle, so attention itself is plain: one rotation per key.
 * A session decodes the prompt in calls of {@code callBatch} tokens (llama.cpp's -b), calling
 * {@link #beforeDecode} before each, exactly as llama-completion does.
 */
public final class LlamaCppGroupedPositions implements PositionScheme {
    private final int groupSize;
    private final int window;
    /** Operations performed: keys below {@code operations·W} are grouped. */
    private int operations;

    public LlamaCppGroupedPositions(int groupSize, int window) {
        SelfExtend.of(groupSize, window); // validates
        this.groupSize = groupSize;
        this.window = window;
    }

    public int groupSize() {
        return groupSize;
    }

    public int window() {
        return window;
    }

    /** {@code bd} in llama.cpp: how far each operation moves the ungrouped keys down. */
    private int shiftPerOperation() {
        return window - window / groupSize;
    }

    /** The RoPE position a new token at index {@code index} is decoded at ({@code nPast} + offset in the call). */
    @Override
    public int position(int index) {
        return index - operations * shiftPerOperation();
    }

    /**
     * llama-completion's grouping loop, run before a decode call when {@code length} tokens are cached:
     * each operation re-rotates the affected cached keys of every layer.
     */
    public void beforeDecode(KvCache cache, Rope rope) {
        int length = cache.length();
        int bd = shiftPerOperation();
        while (position(length) >= operations * window / groupSize + window) {
            int blockStart = operations * window;
            int k = operations;
            // Step 1: keys from the current block on move back to their token index (shift +k·bd).
            // Step 2: the block [k·W, k·W + W) divides by G; llama.cpp rotates K by old − new = j − j/G.
            // Step 3: keys after the block move by W/G − k·bd − W; net with step 1: −bd.
            for (int j = blockStart; j < length; j++) {
                int delta = j < blockStart + window ? k * bd + (j - j / groupSize) : -bd;
                rotateKey(cache, rope, j, delta);
            }
            operations++;
        }
    }

    private static void rotateKey(KvCache cache, Rope rope, int index, int delta) {
        if (delta == 0) {
            return;
        }
        int heads = cache.kvDim() / rope.headDim();
        for (int layer = 0; layer < cache.layers(); layer++) {
            float[] keys = cache.keys(layer);
            for (int h = 0; h < heads; h++) {
                int offset = cache.offset(h, index);
                rope.rotate(keys, offset, keys, offset, 1, delta);
            }
        }
    }

    @Override
    public void reset() {
        operations = 0;
    }

    @Override
    public int groupedQuery(int p) {
        return position(p);
    }

    @Override
    public int groupedKey(int j) {
        return position(j);
    }

    /** Attention is plain over keys cached at their current angles. */
    @Override
    public boolean isPlain() {
        return true;
    }

    @Override
    public long maxLength(int trainedContext) {
        return SelfExtend.of(groupSize, window).maxLength(trainedContext);
    }

    @Override
    public String describe() {
        return "self-extend-llamacpp G=" + groupSize + " W=" + window;
    }
}
