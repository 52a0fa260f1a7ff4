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
    /** Sums the lanes of an {@link #F} vector in a fixed order (never {@code reduceLanes}: see {@link LaneSum}). */
    static final LaneSum SUM = LaneSum.of(F);

    private VectorKernels() {
    }

    /**
     * {@code Σ a[aOff + i] · b[bOff + i]} for {@code i < n}: one chain of lane-wise FMAs, the lanes
     * summed by {@link #SUM}, then the scalar tail. Each of {@link #dot4x2}'s products takes exactly
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
        float sum = SUM.of(acc);
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
        float sum = SUM.of(acc0.add(acc1));
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
            float s = SUM.of(acc);
            for (; i < 32; i++) {
                s += x[xOff + 32 * g + i];
            }
            sums[g] = s;
        }
    }

    /**
     * The 4 × 2 dot products of four consecutive rows {@code w[wOff + k·n …]} with two vectors
     * {@code x[x0 …]} and {@code x[x1 …]}: each weight load feeds two FMAs and each x load four.
     * Row k's product with the first vector goes to {@code out[out0 + k]}, with the second to
     * {@code out[out1 + k]}; each is bit-identical to {@link #dot} of that row and vector.
     */
    static void dot4x2(float[] w, int wOff, float[] x, int x0, int x1, int n, float[] out, int out0, int out1) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        FloatVector b2 = FloatVector.zero(F);
        FloatVector b3 = FloatVector.zero(F);
        int step = F.length();
        int i = 0;
        for (int bound = n - step; i <= bound; i += step) {
            FloatVector xa = FloatVector.fromArray(F, x, x0 + i);
            FloatVector xb = FloatVector.fromArray(F, x, x1 + i);
            FloatVector w0 = FloatVector.fromArray(F, w, wOff + i);
            FloatVector w1 = FloatVector.fromArray(F, w, wOff + n + i);
            FloatVector w2 = FloatVector.fromArray(F, w, wOff + 2 * n + i);
            FloatVector w3 = FloatVector.fromArray(F, w, wOff + 3 * n + i);
            a0 = w0.fma(xa, a0);
            b0 = w0.fma(xb, b0);
            a1 = w1.fma(xa, a1);
            b1 = w1.fma(xb, b1);
            a2 = w2.fma(xa, a2);
            b2 = w2.fma(xb, b2);
            a3 = w3.fma(xa, a3);
            b3 = w3.fma(xb, b3);
        }
        float s0 = SUM.of(a0);
        float s1 = SUM.of(a1);
        float s2 = SUM.of(a2);
        float s3 = SUM.of(a3);
        float t0 = SUM.of(b0);
        float t1 = SUM.of(b1);
        float t2 = SUM.of(b2);
        float t3 = SUM.of(b3);
        for (; i < n; i++) {
            float xa = x[x0 + i];
            float xb = x[x1 + i];
            s0 += w[wOff + i] * xa;
            t0 += w[wOff + i] * xb;
            s1 += w[wOff + n + i] * xa;
            t1 += w[wOff + n + i] * xb;
            s2 += w[wOff + 2 * n + i] * xa;
            t2 += w[wOff + 2 * n + i] * xb;
            s3 += w[wOff + 3 * n + i] * xa;
            t3 += w[wOff + 3 * n + i] * xb;
        }
        out[out0] = s0;
        out[out0 + 1] = s1;
        out[out0 + 2] = s2;
        out[out0 + 3] = s3;
        out[out1] = t0;
        out[out1 + 1] = t1;
        out[out1 + 2] = t2;
        out[out1 + 3] = t3;
    }
}
