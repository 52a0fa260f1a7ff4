package dev.longlm.tensor;

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

    /** {@code Σ a[aOff + i] · b[bOff + i]} for {@code i < n}. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int step = F.length();
        int i = 0;
        for (int bound = n - 2 * step; i <= bound; i += 2 * step) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOff + i + step).fma(FloatVector.fromArray(F, b, bOff + i + step), acc1);
        }
        for (int bound = n - step; i <= bound; i += step) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
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
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
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

    /** Sums of each 32-value group of {@code x[xOff …xOff + n]}, for kernels that fold a per-group min. */
    static float[] groupSums(float[] x, int xOff, int n) {
        float[] sums = new float[n / 32];
        for (int g = 0; g < sums.length; g++) {
            FloatVector acc = FloatVector.zero(F);
            int i = 0;
            for (; i <= 32 - F.length(); i += F.length()) {
                acc = acc.add(FloatVector.fromArray(F, x, xOff + 32 * g + i));
            }
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; i < 32; i++) {
                s += x[xOff + 32 * g + i];
            }
            sums[g] = s;
        }
        return sums;
    }

    /**
     * Four dot products of consecutive rows {@code w[wOff + k·n …]} (k = 0..3) with one vector
     * {@code x[xOff …]}, loading each x chunk once; results go to {@code out[outOff + k]}.
     */
    static void dot4(float[] w, int wOff, float[] x, int xOff, int n, float[] out, int outOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int step = F.length();
        int i = 0;
        for (int bound = n - step; i <= bound; i += step) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            a0 = FloatVector.fromArray(F, w, wOff + i).fma(xv, a0);
            a1 = FloatVector.fromArray(F, w, wOff + n + i).fma(xv, a1);
            a2 = FloatVector.fromArray(F, w, wOff + 2 * n + i).fma(xv, a2);
            a3 = FloatVector.fromArray(F, w, wOff + 3 * n + i).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float xi = x[xOff + i];
            s0 += w[wOff + i] * xi;
            s1 += w[wOff + n + i] * xi;
            s2 += w[wOff + 2 * n + i] * xi;
            s3 += w[wOff + 3 * n + i] * xi;
        }
        out[outOff] = s0;
        out[outOff + 1] = s1;
        out[outOff + 2] = s2;
        out[outOff + 3] = s3;
    }
}
