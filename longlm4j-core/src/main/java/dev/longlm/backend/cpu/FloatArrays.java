package dev.longlm.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vectorised element-wise operations on slices of float arrays (activations, heads, caches). */
public final class FloatArrays {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FloatArrays() {
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, a, aOffset + i).fma(FloatVector.fromArray(S, b, bOffset + i), acc);
        }
        float sum = LaneSum.ofPreferred(acc);
        for (; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /** {@code y[yOffset…] += alpha · x[xOffset…]} over {@code n} values. */
    public static void axpy(float alpha, float[] x, int xOffset, float[] y, int yOffset, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOffset + i).fma(va, FloatVector.fromArray(S, y, yOffset + i))
                    .intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] += alpha * x[xOffset + i];
        }
    }

    /**
     * Dot products of {@code count} vectors {@code a[aOffset + k·aStride …]} with one vector
     * {@code b[bOffset …]}, each written to {@code out[outOffset + k·outStride]}; each load of b feeds
     * every product (the query heads sharing a key in grouped-query attention). Each result is
     * bit-identical to {@link #dot}.
     */
    public static void dotMany(float[] a, int aOffset, int aStride, int count, float[] b, int bOffset, int n,
                               float[] out, int outOffset, int outStride) {
        dotManyRows(a, aOffset, aStride, count, b, bOffset, 0, 1, n, out, outOffset, outStride);
    }

    /**
     * {@code y[yOffset + k·yStride …] += alpha[alphaOffset + k·alphaStride] · x[xOffset …]} for
     * {@code k < count}: one load of x feeds every update. Each update is bit-identical to {@link #axpy}.
     */
    public static void axpyMany(float[] alpha, int alphaOffset, int alphaStride, int count, float[] x, int xOffset,
                                float[] y, int yOffset, int yStride, int n) {
        if (n % S.length() != 0) {
            for (int k = 0; k < count; k++) {
                axpy(alpha[alphaOffset + k * alphaStride], x, xOffset, y, yOffset + k * yStride, n);
            }
            return;
        }
        for (int i = 0; i < n; i += S.length()) {
            FloatVector vx = FloatVector.fromArray(S, x, xOffset + i);
            for (int k = 0; k < count; k++) {
                int o = yOffset + k * yStride + i;
                vx.fma(FloatVector.broadcast(S, alpha[alphaOffset + k * alphaStride]), FloatVector.fromArray(S, y, o))
                        .intoArray(y, o);
            }
        }
    }

    /**
     * {@link #dotMany} for {@code rows} vectors {@code b[bOffset + r·bStride …]}: the product of
     * {@code a[aOffset + k·aStride …]} with row r goes to {@code out[outOffset + k·outStride + r]}. Each
     * result is bit-identical to {@link #dot}. For four vectors of whole chunks of lanes, each load of
     * a row feeds all four products, the sums stay vectors until every row is done and are then
     * summed together by {@link LaneSum#ofEachPreferred} (no call per row).
     */
    public static void dotManyRows(float[] a, int aOffset, int aStride, int count, float[] b, int bOffset, int bStride,
                                   int rows, int n, float[] out, int outOffset, int outStride) {
        int l = S.length();
        if (count != 4 || n % l != 0) {
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < count; k++) {
                    out[outOffset + k * outStride + r] = dot(a, aOffset + k * aStride, b, bOffset + r * bStride, n);
                }
            }
            return;
        }
        float[] sums = RowScratch.ofThread().lanes(4 * l * rows);
        if (n == 4 * l) {
            residentQueryRows(a, aOffset, aStride, b, bOffset, bStride, rows, sums);
        } else {
            streamedQueryRows(a, aOffset, aStride, b, bOffset, bStride, rows, n, sums);
        }
        LaneSum.ofEachPreferred(sums, 4 * rows);
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < 4; k++) {
                out[outOffset + k * outStride + r] = sums[4 * r + k];
            }
        }
    }

    /** Row r's four accumulators to {@code sums[(4r + k)·l …]}, for vectors of four chunks: they stay in registers across the rows. */
    private static void residentQueryRows(float[] a, int aOffset, int aStride, float[] b, int bOffset, int bStride, int rows,
                                          float[] sums) {
        int l = S.length();
        FloatVector a00 = FloatVector.fromArray(S, a, aOffset), a01 = FloatVector.fromArray(S, a, aOffset + l);
        FloatVector a02 = FloatVector.fromArray(S, a, aOffset + 2 * l), a03 = FloatVector.fromArray(S, a, aOffset + 3 * l);
        int o1 = aOffset + aStride;
        FloatVector a10 = FloatVector.fromArray(S, a, o1), a11 = FloatVector.fromArray(S, a, o1 + l);
        FloatVector a12 = FloatVector.fromArray(S, a, o1 + 2 * l), a13 = FloatVector.fromArray(S, a, o1 + 3 * l);
        int o2 = o1 + aStride;
        FloatVector a20 = FloatVector.fromArray(S, a, o2), a21 = FloatVector.fromArray(S, a, o2 + l);
        FloatVector a22 = FloatVector.fromArray(S, a, o2 + 2 * l), a23 = FloatVector.fromArray(S, a, o2 + 3 * l);
        int o3 = o2 + aStride;
        FloatVector a30 = FloatVector.fromArray(S, a, o3), a31 = FloatVector.fromArray(S, a, o3 + l);
        FloatVector a32 = FloatVector.fromArray(S, a, o3 + 2 * l), a33 = FloatVector.fromArray(S, a, o3 + 3 * l);
        for (int r = 0; r < rows; r++) {
            int b0 = bOffset + r * bStride;
            FloatVector b0v = FloatVector.fromArray(S, b, b0);
            FloatVector b1v = FloatVector.fromArray(S, b, b0 + l);
            FloatVector b2v = FloatVector.fromArray(S, b, b0 + 2 * l);
            FloatVector b3v = FloatVector.fromArray(S, b, b0 + 3 * l);
            // the same fused multiply-adds in the same order as dot: chunk 0 first
            int at = 4 * l * r;
            a03.fma(b3v, a02.fma(b2v, a01.fma(b1v, a00.fma(b0v, FloatVector.zero(S))))).intoArray(sums, at);
            a13.fma(b3v, a12.fma(b2v, a11.fma(b1v, a10.fma(b0v, FloatVector.zero(S))))).intoArray(sums, at + l);
            a23.fma(b3v, a22.fma(b2v, a21.fma(b1v, a20.fma(b0v, FloatVector.zero(S))))).intoArray(sums, at + 2 * l);
            a33.fma(b3v, a32.fma(b2v, a31.fma(b1v, a30.fma(b0v, FloatVector.zero(S))))).intoArray(sums, at + 3 * l);
        }
    }

    /** Row r's four accumulators to {@code sums[(4r + k)·l …]}, for vectors of any whole number of chunks. */
    private static void streamedQueryRows(float[] a, int aOffset, int aStride, float[] b, int bOffset, int bStride, int rows,
                                          int n, float[] sums) {
        int l = S.length();
        for (int r = 0; r < rows; r++) {
            int b0 = bOffset + r * bStride;
            FloatVector acc0 = FloatVector.zero(S);
            FloatVector acc1 = FloatVector.zero(S);
            FloatVector acc2 = FloatVector.zero(S);
            FloatVector acc3 = FloatVector.zero(S);
            for (int i = 0; i < n; i += l) {
                FloatVector vb = FloatVector.fromArray(S, b, b0 + i);
                acc0 = FloatVector.fromArray(S, a, aOffset + i).fma(vb, acc0);
                acc1 = FloatVector.fromArray(S, a, aOffset + aStride + i).fma(vb, acc1);
                acc2 = FloatVector.fromArray(S, a, aOffset + 2 * aStride + i).fma(vb, acc2);
                acc3 = FloatVector.fromArray(S, a, aOffset + 3 * aStride + i).fma(vb, acc3);
            }
            int at = 4 * l * r;
            acc0.intoArray(sums, at);
            acc1.intoArray(sums, at + l);
            acc2.intoArray(sums, at + 2 * l);
            acc3.intoArray(sums, at + 3 * l);
        }
    }

    /**
     * {@link #axpyMany} for {@code rows} vectors {@code x[xOffset + r·xStride …]} in row order, with
     * weights {@code alpha[alphaOffset + k·alphaStride + r]}. The sums stay in registers across the rows
     * instead of going through {@code y} after each; every element of y receives the same fused
     * multiply-adds in the same order as {@code rows} calls of {@link #axpy}, so results are bit-identical.
     */
    public static void axpyManyRows(float[] alpha, int alphaOffset, int alphaStride, int count, float[] x, int xOffset,
                                    int xStride, int rows, float[] y, int yOffset, int yStride, int n) {
        int bound = S.loopBound(n);
        int k = 0;
        if (count >= 4) {
            for (; k + 4 <= count; k += 4) {
                int a0 = alphaOffset + k * alphaStride;
                int a1 = a0 + alphaStride;
                int a2 = a1 + alphaStride;
                int a3 = a2 + alphaStride;
                int y0 = yOffset + k * yStride;
                for (int i = 0; i < bound; i += S.length()) {
                    FloatVector s0 = FloatVector.fromArray(S, y, y0 + i);
                    FloatVector s1 = FloatVector.fromArray(S, y, y0 + yStride + i);
                    FloatVector s2 = FloatVector.fromArray(S, y, y0 + 2 * yStride + i);
                    FloatVector s3 = FloatVector.fromArray(S, y, y0 + 3 * yStride + i);
                    for (int r = 0; r < rows; r++) {
                        FloatVector vx = FloatVector.fromArray(S, x, xOffset + r * xStride + i);
                        s0 = vx.fma(FloatVector.broadcast(S, alpha[a0 + r]), s0);
                        s1 = vx.fma(FloatVector.broadcast(S, alpha[a1 + r]), s1);
                        s2 = vx.fma(FloatVector.broadcast(S, alpha[a2 + r]), s2);
                        s3 = vx.fma(FloatVector.broadcast(S, alpha[a3 + r]), s3);
                    }
                    s0.intoArray(y, y0 + i);
                    s1.intoArray(y, y0 + yStride + i);
                    s2.intoArray(y, y0 + 2 * yStride + i);
                    s3.intoArray(y, y0 + 3 * yStride + i);
                }
            }
        }
        for (; k < count; k++) {
            int a0 = alphaOffset + k * alphaStride;
            int y0 = yOffset + k * yStride;
            for (int i = 0; i < bound; i += S.length()) {
                FloatVector s0 = FloatVector.fromArray(S, y, y0 + i);
                for (int r = 0; r < rows; r++) {
                    s0 = FloatVector.fromArray(S, x, xOffset + r * xStride + i).fma(FloatVector.broadcast(S, alpha[a0 + r]), s0);
                }
                s0.intoArray(y, y0 + i);
            }
        }
        if (bound < n) {
            for (k = 0; k < count; k++) {
                for (int r = 0; r < rows; r++) {
                    float w = alpha[alphaOffset + k * alphaStride + r];
                    for (int i = bound; i < n; i++) {
                        y[yOffset + k * yStride + i] += w * x[xOffset + r * xStride + i];
                    }
                }
            }
        }
    }

    /**
     * {@code a[i] = exp(a[i] - shift)} over the slice, returning the sum of the new values (the
     * exponentials of a softmax). The exponential is {@link Exponential}'s (within 1 ulp of the exact
     * value, and the same bits in every JIT tier, unlike the Vector API's); the sum is taken lane by
     * lane over the vector part, then its lanes in {@link LaneSum}'s order, then the tail in order.
     */
    public static float expShiftSum(float[] a, int offset, int n, float shift) {
        return Exponential.expShiftSum(a, offset, n, shift);
    }

    /**
     * The largest of {@code a[offset … offset+n)}, {@code -∞} for none; equal to a loop of
     * {@link Math#max}. Unlike a sum, a maximum does not depend on the order it is taken in, so
     * {@code reduceLanes(MAX)} gives the same bits in every JIT tier.
     */
    public static float max(float[] a, int offset, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= S.length()) {
            FloatVector vm = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int bound = S.loopBound(n); i < bound; i += S.length()) {
                vm = vm.max(FloatVector.fromArray(S, a, offset + i));
            }
            m = vm.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, a[offset + i]);
        }
        return m;
    }

    public static void scale(float[] a, int offset, float factor, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, offset + i).mul(factor).intoArray(a, offset + i);
        }
        for (; i < n; i++) {
            a[offset + i] *= factor;
        }
    }

    /** {@code y[yOffset…] += x[xOffset…]}. */
    public static void add(float[] x, int xOffset, float[] y, int yOffset, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOffset + i).add(FloatVector.fromArray(S, y, yOffset + i)).intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] += x[xOffset + i];
        }
    }

    /** RMSNorm: {@code out = x / sqrt(mean(x²) + eps) · weight}, sum of squares in double as ggml does. */
    public static void rmsNorm(float[] x, int xOffset, float[] weight, float eps, float[] out, int outOffset, int n) {
        double sumSquares = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOffset + i];
            sumSquares += v * v;
        }
        float inv = (float) (1.0 / Math.sqrt(sumSquares / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = x[xOffset + i] * inv * weight[i];
        }
    }

    /** LayerNorm with optional bias: {@code out = (x - mean) / sqrt(var + eps) · weight + bias}. */
    public static void layerNorm(float[] x, int xOffset, float[] weight, float[] bias, float eps, float[] out, int outOffset, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[xOffset + i];
        }
        float mean = (float) (sum / n);
        double var = 0;
        for (int i = 0; i < n; i++) {
            float d = x[xOffset + i] - mean;
            var += d * d;
        }
        float inv = (float) (1.0 / Math.sqrt(var / n + eps));
        for (int i = 0; i < n; i++) {
            float v = (x[xOffset + i] - mean) * inv * weight[i];
            out[outOffset + i] = bias == null ? v : v + bias[i];
        }
    }

    public static int argmax(float[] a, int offset, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (a[offset + i] > a[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    /** log Σ exp(a[i]) over the slice, in double for stable log-probabilities. */
    public static double logSumExp(float[] a, int offset, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, a[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(a[offset + i] - max);
        }
        return max + Math.log(sum);
    }
}
