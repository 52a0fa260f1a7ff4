package dev.longlm.backend.cpu;

import dev.longlm.tensor.HalfFloat;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A reusable buffer of input rows rounded to an {@link ActivationFormat} exactly as ggml's
 * {@code quantize_row_q8_0} (x86 AVX form), {@code quantize_row_q8_1} and
 * {@code quantize_row_q8_K_ref} do, kept both as the 8-bit levels with their block scales and as
 * the values they stand for ({@code q·d}, exact in float), which the float kernels consume.
 * Not thread-safe: one owner (a {@link Parallel} pool) fills it, then kernels only read it.
 */
public final class QuantizedActivations {
    private ActivationFormat format = ActivationFormat.F32;
    private int rows;
    private int cols;
    private byte[] levels = new byte[0];
    private float[] scales = new float[0];
    private float[] values = new float[0];
    /** Sums of the levels of each 16 consecutive inputs (ggml's {@code bsums} of Q8_K), for kernels that fold an offset or min. */
    private int[] sums16 = new int[0];
    /** Sums of each 32 consecutive levels (pairs of {@link #sums16}), for kernels with 32-value sub-blocks. */
    private int[] sums32 = new int[0];
    /** Reordered levels per {@link LevelPlanes}, valid for the current contents; rebuilt on request after each {@link #quantize}. */
    private final Map<LevelPlanes, short[]> planes = new IdentityHashMap<>();
    private final Set<LevelPlanes> planesValid = Collections.newSetFromMap(new IdentityHashMap<>());

    public ActivationFormat format() {
        return format;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** The rounded inputs, {@code rows × cols}, as floats (each exactly {@code level · scale}). */
    public float[] values() {
        return values;
    }

    /** The 8-bit level of input {@code row}, column {@code col}. */
    public byte level(int row, int col) {
        return levels[row * cols + col];
    }

    /** The scale of the block holding column {@code col} of input {@code row}. */
    public float scale(int row, int col) {
        return scales[(row * cols + col) / format.blockSize()];
    }

    /** Rounds {@code n} rows of {@code cols} values from {@code x[xOffset …]} to {@code format}. */
    public void quantize(ActivationFormat format, float[] x, int xOffset, int n, int cols) {
        if (format == ActivationFormat.F32 || cols % format.blockSize() != 0) {
            throw new IllegalArgumentException(cols + " columns cannot be rounded to " + format);
        }
        this.format = format;
        this.rows = n;
        this.cols = cols;
        int count = n * cols;
        if (levels.length < count) {
            levels = new byte[count];
            values = new float[count];
        }
        if (sums16.length < count / 16) {
            sums16 = new int[count / 16];
            sums32 = new int[count / 32];
        }
        planesValid.clear();
        int blocks = count / format.blockSize();
        if (scales.length < blocks) {
            scales = new float[Math.max(blocks, count / 32)];
        }
        for (int b = 0; b < blocks; b++) {
            int at = b * format.blockSize();
            if (format == ActivationFormat.Q8_K) {
                scales[b] = roundQ8K(x, xOffset + at, levels, values, at);
            } else {
                scales[b] = roundQ8_0(x, xOffset + at, levels, values, at);
            }
        }
        for (int g = 0; g < count / 16; g++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) {
                sum += levels[16 * g + j];
            }
            sums16[g] = sum;
        }
        for (int g = 0; g < count / 32; g++) {
            sums32[g] = sums16[2 * g] + sums16[2 * g + 1];
        }
    }

    /** The 8-bit levels, {@code rows × cols} (the kernels' view of {@link #level}). */
    byte[] levels() {
        return levels;
    }

    /** One scale per block of {@code format().blockSize()} levels, in order. */
    float[] scales() {
        return scales;
    }

    /** {@code sums16()[g]} = the sum of levels {@code 16g … 16g + 15}. */
    int[] sums16() {
        return sums16;
    }

    /** {@code sums32()[g]} = the sum of levels {@code 32g … 32g + 31}. */
    int[] sums32() {
        return sums32;
    }

    /**
     * The levels reordered by {@code layout} (as 16-bit values). Built on the first request after
     * each {@link #quantize}, so call it once before handing the buffer to several threads.
     */
    short[] planes(LevelPlanes layout) {
        short[] p = planes.get(layout);
        int count = rows * cols;
        if (p == null || p.length < count) {
            p = new short[count];
            planes.put(layout, p);
            planesValid.remove(layout);
        }
        if (planesValid.add(layout)) {
            if (count % layout.span() != 0) {
                throw new IllegalArgumentException(cols + " columns cannot be laid out as " + layout.name());
            }
            int[] order = layout.order();
            for (int base = 0; base < count; base += layout.span()) {
                for (int i = 0; i < order.length; i++) {
                    p[base + i] = levels[base + order[i]];
                }
            }
        }
        return p;
    }

    /**
     * One block of 32 as quantize_row_q8_0/q8_1 on x86: {@code d = amax/127} kept as f16,
     * {@code q = round-half-even(x · (127/amax))}. Returns the f16 scale as a float.
     */
    static float roundQ8_0(float[] x, int xOff, byte[] q, float[] v, int off) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[xOff + j]));
        }
        float d = HalfFloat.f16ToF32(HalfFloat.f32ToF16(amax / 127f));
        float id = amax != 0 ? 127f / amax : 0f;
        for (int j = 0; j < 32; j++) {
            int level = (int) Math.rint(x[xOff + j] * id);
            q[off + j] = (byte) level;
            v[off + j] = level * d;
        }
        return d;
    }

    /**
     * One block of 256 as quantize_row_q8_K_ref: the scale comes from the signed value of largest
     * magnitude, {@code q = min(127, nearest(x · -127/max))}, {@code d = 1/iscale} in f32.
     */
    static float roundQ8K(float[] x, int xOff, byte[] q, float[] v, int off) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 256; j++) {
            float ax = Math.abs(x[xOff + j]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + j];
            }
        }
        if (amax == 0) {
            for (int j = 0; j < 256; j++) {
                q[off + j] = 0;
                v[off + j] = 0;
            }
            return 0;
        }
        float iscale = -127f / max;
        float d = 1 / iscale;
        for (int j = 0; j < 256; j++) {
            int level = Math.min(127, QuantMath.nearestInt(iscale * x[xOff + j]));
            q[off + j] = (byte) level;
            v[off + j] = level * d;
        }
        return d;
    }
}
