package dev.longlm.attention;

/**
 * The state of llama.cpp's Self-Extend approximation for one sequence ({@link LlamaCppGroupedPositions}):
 * how many grouping operations have run. Before each decode call it runs llama-completion's grouping
 * loop, re-rotating cached keys through {@link KeyRotation}. Its division step
 * (llama_kv_cells::pos_div) records the rotation with the opposite sign, so a grouped key j ends up
 * rotated to angle {@code 2j - j/G} while masked at position {@code j/G}; we apply the same rotations.
 */
public final class LlamaCppRegrouping {
    /** Rotates the cached keys at positions {@code from …} of every layer by {@code deltas[i]} (0: unchanged). */
    @FunctionalInterface
    public interface KeyRotation {
        void rotate(int from, double[] deltas);
    }

    private final int groupSize;
    private final int window;
    /** Operations performed: keys below {@code operations·W} are grouped. */
    private int operations;

    public LlamaCppRegrouping(LlamaCppGroupedPositions scheme) {
        this.groupSize = scheme.groupSize();
        this.window = scheme.window();
    }

    /** {@code bd} in llama.cpp: how far each operation moves the ungrouped keys down. */
    private int shiftPerOperation() {
        return window - window / groupSize;
    }

    /** What is subtracted from a token's index to give the RoPE position it is decoded at. */
    public int positionOffset() {
        return operations * shiftPerOperation();
    }

    /** llama-completion's grouping loop, run before a decode call when {@code length} tokens are cached. */
    public void beforeDecode(int length, KeyRotation rotation) {
        int bd = shiftPerOperation();
        while (length - positionOffset() >= operations * window / groupSize + window) {
            int blockStart = operations * window;
            int k = operations;
            // Step 1: keys from the current block on move back to their token index (shift +k·bd).
            // Step 2: the block [k·W, k·W + W) divides by G; llama.cpp rotates K by old − new = j − j/G.
            // Step 3: keys after the block move by W/G − k·bd − W; net with step 1: −bd.
            double[] deltas = new double[Math.max(0, length - blockStart)];
            for (int j = blockStart; j < length; j++) {
                deltas[j - blockStart] = j < blockStart + window ? k * bd + (j - j / groupSize) : -bd;
            }
            if (deltas.length > 0) {
                rotation.rotate(blockStart, deltas);
            }
            operations++;
        }
    }

    /** Forgets the operations (the sequence's cache was cleared). */
    public void reset() {
        operations = 0;
    }
}
