package dev.longlm.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** Dot products over float arrays and mapped float data with the platform's preferred vector width. */
final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /**
     * Whether fused quantized kernels can run: they widen {@code F.length()} bytes to one float
     * vector, and need 8 or 16 lanes so that a lane group never straddles a 16- or 32-value block.
     */
    static final boolean FUSED = F.length() == 8 || F.length() == 16;
    /** Byte vectors with as many lanes as {@link #F} (null where {@link #FUSED} is false). */
    static final VectorSpecies<Byte> B = FUSED ? VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8)) : null;

    private VectorKernels() {
    }

    /**
     * {@code Σ a[aOff + i] · b[bOff + i]} for {@code i < n}: one chain of lane-wise FMAs, the lanes
     * summed by {@link LaneSum}, then the scalar tail. Each of {@link #dot4xPairs}'s products takes exactly
     * these operations, so a tiled matmul gives the same bits whichever rows and inputs share a tile
     * (and so for any thread count, which moves the tiles' edges).
     */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int step = F.length();
        int i = 0;
        for (int bound = n - step; i <= bound; i += step) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float sum = LaneSum.ofPreferred(acc);
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** {@code Σ f32(seg at byteOff + 4i) · b[bOff + i]} for {@code i < n}, reading little-endian floats in place. */
    static float dot(MemorySegment seg, long byteOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int step = F.length();
        int i = 0;
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        for (int bound = n - 2 * step; i <= bound; i += 2 * step) {
            acc0 = FloatVector.fromMemorySegment(F, seg, byteOff + 4L * i, le).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            acc1 = FloatVector.fromMemorySegment(F, seg, byteOff + 4L * (i + step), le)
                    .fma(FloatVector.fromArray(F, b, bOff + i + step), acc1);
        }
        for (int bound = n - step; i <= bound; i += step) {
            acc0 = FloatVector.fromMemorySegment(F, seg, byteOff + 4L * i, le).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
        }
        float sum = LaneSum.ofPreferred(acc0.add(acc1));
        for (; i < n; i++) {
            sum += seg.get(F32Matrix.F32, byteOff + 4L * i) * b[bOff + i];
        }
        return sum;
    }

    /** Widens a byte vector (from {@link #loadBytes}) to a float vector of the same lanes, as signed values. */
    static FloatVector bytesToFloats(ByteVector v) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, 0);
    }

    /** Loads {@code B.length()} bytes at {@code offset}. */
    static ByteVector loadBytes(MemorySegment seg, long offset) {
        return ByteVector.fromMemorySegment(B, seg, offset, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Writes the sum of each 32-value group of {@code x[xOff …xOff + n]} to {@code sums[0 … n/32)},
     * for kernels that fold a per-group min.
     */
    static void groupSums(float[] x, int xOff, int n, float[] sums) {
        for (int g = 0; g < n / 32; g++) {
            FloatVector acc = FloatVector.zero(F);
            int i = 0;
            for (; i <= 32 - F.length(); i += F.length()) {
                acc = acc.add(FloatVector.fromArray(F, x, xOff + 32 * g + i));
            }
            float s = LaneSum.ofPreferred(acc);
            for (; i < 32; i++) {
                s += x[xOff + 32 * g + i];
            }
            sums[g] = s;
        }
    }

    /**
     * The dot products of four consecutive rows {@code w[k·n …]} (k < 4) with the inputs
     * {@code x[i·n …]} for i in {@code [i0, i1)}, {@code i1 − i0} even, taken two inputs at a time:
     * each weight load feeds two FMAs and each x load four. Row k's product with input i goes to
     * {@code out[i·outStride + outOffset + k]} and is bit-identical to {@link #dot} of that row and
     * input. The eight accumulators of each pair are stored to {@code sums} (room for
     * {@code 4·(i1 − i0)} vectors) and summed by {@link LaneSum#ofEachPreferred} once for all pairs,
     * then each sum takes its scalar tail.
     */
    static void dot4xPairs(float[] w, float[] x, int i0, int i1, int n, float[] out, int outStride, int outOffset, float[] sums) {
        int step = F.length();
        int whole = n - n % step; // lanes-wide chunks end here; the tail follows
        for (int i = i0, at = 0; i < i1; i += 2, at += 8 * step) {
            accumulate4x2(w, n, x, i * n, (i + 1) * n, whole, sums, at);
        }
        LaneSum.ofEachPreferred(sums, 4 * (i1 - i0));
        for (int i = i0, pair = 0; i < i1; i += 2, pair++) {
            for (int k = 0; k < 4; k++) {
                float s = sums[8 * pair + k];
                float t = sums[8 * pair + 4 + k];
                for (int c = whole; c < n; c++) {
                    s += w[k * n + c] * x[i * n + c];
                    t += w[k * n + c] * x[(i + 1) * n + c];
                }
                out[i * outStride + outOffset + k] = s;
                out[(i + 1) * outStride + outOffset + k] = t;
            }
        }
    }

    /**
     * The eight accumulators of four rows {@code w[k·n …]} with two inputs {@code x[x0 …]},
     * {@code x[x1 …]} over the first {@code whole} values of each (whole chunks), stored to
     * {@code sums[at …]}: row k with the first input at vector k, with the second at vector 4 + k.
     * Kept apart from the loop over pairs: nested in it, C2 compiled this loop 10-20% slower.
     */
    private static void accumulate4x2(float[] w, int n, float[] x, int x0, int x1, int whole, float[] sums, int at) {
        int step = F.length();
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        FloatVector b2 = FloatVector.zero(F);
        FloatVector b3 = FloatVector.zero(F);
        for (int c = 0; c < whole; c += step) {
            FloatVector xa = FloatVector.fromArray(F, x, x0 + c);
            FloatVector xb = FloatVector.fromArray(F, x, x1 + c);
            FloatVector w0 = FloatVector.fromArray(F, w, c);
            FloatVector w1 = FloatVector.fromArray(F, w, n + c);
            FloatVector w2 = FloatVector.fromArray(F, w, 2 * n + c);
            FloatVector w3 = FloatVector.fromArray(F, w, 3 * n + c);
            a0 = w0.fma(xa, a0);
            b0 = w0.fma(xb, b0);
            a1 = w1.fma(xa, a1);
            b1 = w1.fma(xb, b1);
            a2 = w2.fma(xa, a2);
            b2 = w2.fma(xb, b2);
            a3 = w3.fma(xa, a3);
            b3 = w3.fma(xb, b3);
        }
        a0.intoArray(sums, at);
        a1.intoArray(sums, at + step);
        a2.intoArray(sums, at + 2 * step);
        a3.intoArray(sums, at + 3 * step);
        b0.intoArray(sums, at + 4 * step);
        b1.intoArray(sums, at + 5 * step);
        b2.intoArray(sums, at + 6 * step);
        b3.intoArray(sums, at + 7 * step);
    }
}
