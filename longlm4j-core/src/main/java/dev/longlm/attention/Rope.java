package dev.longlm.attention;

/**
 * Rotary position embedding for one head layout. Only the first {@code rotaryDims} components of a
 * head rotate (partial rotary, as in Phi-2); the rest pass through. Angles are
 * {@code position · inverseFrequency[i]} computed in double, so integer positions far beyond the
 * training window stay exact. Frequency scaling methods (linear, NTK, YaRN) supply their own
 * inverse frequencies and attention factor.
 */
public final class Rope {
    private final int headDim;
    private final int rotaryDims;
    private final RopeLayout layout;
    private final double[] inverseFrequency;
    /** Multiplies cos and sin (YaRN's magnitude correction); 1 for plain RoPE. */
    private final float magnitude;

    public Rope(int headDim, int rotaryDims, RopeLayout layout, double[] inverseFrequency, float magnitude) {
        if (rotaryDims > headDim || rotaryDims % 2 != 0) {
            throw new IllegalArgumentException("rotary dims " + rotaryDims + " invalid for head dim " + headDim);
        }
        if (inverseFrequency.length != rotaryDims / 2) {
            throw new IllegalArgumentException("need " + rotaryDims / 2 + " frequencies, got " + inverseFrequency.length);
        }
        this.headDim = headDim;
        this.rotaryDims = rotaryDims;
        this.layout = layout;
        this.inverseFrequency = inverseFrequency.clone();
        this.magnitude = magnitude;
    }

    /** Standard RoPE: inverse frequency {@code base^(-2i/rotaryDims)}. */
    public static Rope standard(int headDim, int rotaryDims, RopeLayout layout, double base) {
        return new Rope(headDim, rotaryDims, layout, standardInverseFrequencies(rotaryDims, base), 1f);
    }

    public static double[] standardInverseFrequencies(int rotaryDims, double base) {
        double[] f = new double[rotaryDims / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = Math.pow(base, -2.0 * i / rotaryDims);
        }
        return f;
    }

    public int headDim() {
        return headDim;
    }

    public int rotaryDims() {
        return rotaryDims;
    }

    public RopeLayout layout() {
        return layout;
    }

    /** The same layout with other frequencies and magnitude (frequency-scaling methods build on the model's RoPE). */
    public Rope withFrequencies(double[] inverseFrequency, float magnitude) {
        return new Rope(headDim, rotaryDims, layout, inverseFrequency, magnitude);
    }

    public double[] inverseFrequencies() {
        return inverseFrequency.clone();
    }

    public float magnitude() {
        return magnitude;
    }

    /** Same rotations: a key cached under one is valid under the other (prefix reuse compares them). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Rope r && headDim == r.headDim && rotaryDims == r.rotaryDims && layout == r.layout
                && java.util.Arrays.equals(inverseFrequency, r.inverseFrequency) && Float.compare(magnitude, r.magnitude) == 0;
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(inverseFrequency) * 31 + Float.hashCode(magnitude);
    }

    /** The rotations as text that is equal exactly when the Ropes are (for cache files' scheme keys). */
    public String canonical() {
        return headDim + "/" + rotaryDims + "/" + layout + "/" + magnitude + "/" + java.util.Arrays.toString(inverseFrequency);
    }

    public double inverseFrequency(int pair) {
        return inverseFrequency[pair];
    }

    /** Rotates {@code heads} consecutive head vectors starting at {@code src[srcOffset]} to {@code position}, into {@code dst}. */
    public void rotate(float[] src, int srcOffset, float[] dst, int dstOffset, int heads, double position) {
        int half = rotaryDims / 2;
        for (int i = 0; i < half; i++) {
            double angle = position * inverseFrequency[i];
            float cos = (float) Math.cos(angle) * magnitude;
            float sin = (float) Math.sin(angle) * magnitude;
            int a = layout == RopeLayout.ADJACENT_PAIRS ? 2 * i : i;
            int b = layout == RopeLayout.ADJACENT_PAIRS ? 2 * i + 1 : i + half;
            for (int h = 0; h < heads; h++) {
                int s = srcOffset + h * headDim;
                int d = dstOffset + h * headDim;
                float x0 = src[s + a];
                float x1 = src[s + b];
                dst[d + a] = x0 * cos - x1 * sin;
                dst[d + b] = x0 * sin + x1 * cos;
            }
        }
        if (rotaryDims < headDim) {
            for (int h = 0; h < heads; h++) {
                System.arraycopy(src, srcOffset + h * headDim + rotaryDims, dst, dstOffset + h * headDim + rotaryDims,
                        headDim - rotaryDims);
            }
        }
    }
}
