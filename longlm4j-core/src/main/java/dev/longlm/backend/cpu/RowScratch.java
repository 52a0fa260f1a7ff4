package dev.longlm.backend.cpu;

/**
 * Reusable buffers of the calling thread for kernels that need working space (a dequantized row, a
 * tile of rows, sums of the input, a super-block's scales, accumulators to sum), so products allocate nothing once the
 * buffers have grown to the model's widths. Pool workers live as long as their pool, so their
 * buffers do too. Each buffer has one user at a time: a kernel takes them at the start of its row
 * range and calls no other kernel while it holds them.
 */
final class RowScratch {
    private static final ThreadLocal<RowScratch> OF_THREAD = ThreadLocal.withInitial(RowScratch::new);

    private float[] row = new float[0];
    private float[] tile = new float[0];
    private float[] groupSums = new float[0];
    /** A K-quant super-block's eight sub-block scales, then its eight mins (float matvec of Q4_K). */
    private final float[] blockScalesAndMins = new float[16];
    /** Accumulator vectors stored for {@link LaneSum#ofEachPreferred} to sum. */
    private float[] lanes = new float[0];

    private RowScratch() {
    }

    /** The calling thread's buffers. */
    static RowScratch ofThread() {
        return OF_THREAD.get();
    }

    /** At least {@code n} floats for one dequantized row (contents undefined). */
    float[] row(int n) {
        if (row.length < n) {
            row = new float[n];
        }
        return row;
    }

    /** At least {@code n} floats for a tile of dequantized rows (contents undefined). */
    float[] tile(int n) {
        if (tile.length < n) {
            tile = new float[n];
        }
        return tile;
    }

    /** At least {@code n} floats for per-group sums of an input (contents undefined). */
    float[] groupSums(int n) {
        if (groupSums.length < n) {
            groupSums = new float[n];
        }
        return groupSums;
    }

    /** At least {@code n} floats for accumulator vectors to sum (contents undefined). */
    float[] lanes(int n) {
        if (lanes.length < n) {
            lanes = new float[n];
        }
        return lanes;
    }

    /** 16 floats: a super-block's eight sub-block scales, then its eight mins (contents undefined). */
    float[] blockScalesAndMins() {
        return blockScalesAndMins;
    }
}
