package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Runs every CPU kernel that reduces lanes (matvec, the integer kernels, matmul, the attention
 * helpers of {@link FloatArrays}, the exponential) on fixed pseudo-random inputs and prints one line
 * per kernel: its name and a hash of the bits of all its outputs. {@link JitTierIndependenceTest}
 * runs it in JVMs held to one JIT tier each and compares the lines.
 *
 * <p>Arguments: the number of warm-up rounds to run first (so that C2 has compiled the kernels when
 * the printed round runs).
 */
public final class KernelFingerprint {
    private static final int ROWS = 9; // two full 4-row matmul tiles and a partial one

    private KernelFingerprint() {
    }

    public static void main(String[] args) {
        int warmUp = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        Inputs inputs = new Inputs();
        for (int i = 0; i < warmUp; i++) {
            fingerprints(inputs);
        }
        fingerprints(inputs).forEach((name, hash) -> System.out.println(name + " " + Long.toHexString(hash)));
    }

    /** The matrices (quantized once, outside the rounds) and vectors every round multiplies. */
    private static final class Inputs {
        final Map<GgmlType, WeightMatrix> matrices = new LinkedHashMap<>();
        final Map<GgmlType, QuantizedActivations> rounded = new LinkedHashMap<>();
        final float[] x;
        final int headDim = 4 * FloatVector.SPECIES_PREFERRED.length(); // the shape dotManyRows keeps in registers
        final float[] queries = vector(4 * headDim, 3);
        final float[] keys = vector(64 * headDim + 7, 4);
        final float[] scores = vector(4 * 64, 5);
        final float[] values = vector(64 * headDim, 6);

        Inputs() {
            x = vector(3 * 515, 2);
            for (GgmlType type : WeightMatrices.SUPPORTED) {
                int cols = type.blockSize() == 1 ? 515 : 512;
                WeightMatrix m = WeightMatrices.of(type, MemorySegment.ofArray(Quantizer.quantize(type, vector(ROWS * cols, 1))), ROWS, cols);
                matrices.put(type, m);
                if (m instanceof IntegerMatvecMatrix integer) {
                    QuantizedActivations q = new QuantizedActivations();
                    q.quantize(ActivationFormat.forWeights(type), x, 0, 1, cols);
                    integer.prepare(q);
                    rounded.put(type, q);
                }
            }
        }
    }

    static Map<String, Long> fingerprints(Inputs in) {
        Map<String, Long> result = new LinkedHashMap<>();
        float[] out = new float[4 * 64];
        for (WeightMatrix m : in.matrices.values()) {
            java.util.Arrays.fill(out, 0);
            m.matvec(in.x, 0, out, 0, 0, ROWS);
            result.put(m.type() + ".matvec", hash(out));
            m.matmul(in.x, 3, out, 0, ROWS);
            result.put(m.type() + ".matmul", hash(out));
            if (m instanceof IntegerMatvecMatrix integer) {
                java.util.Arrays.fill(out, 0);
                integer.integerMatvec(in.rounded.get(m.type()), out, 0, 0, ROWS);
                result.put(m.type() + ".integerMatvec", hash(out));
            }
        }
        int headDim = in.headDim;
        java.util.Arrays.fill(out, 0);
        out[0] = FloatArrays.dot(in.queries, 0, in.keys, 1, 4 * headDim - 3);
        result.put("FloatArrays.dot", hash(out));
        FloatArrays.dotMany(in.queries, 0, headDim, 4, in.keys, 0, headDim, out, 0, 1);
        FloatArrays.dotMany(in.queries, 0, headDim, 3, in.keys, 5, headDim - 1, out, 4, 1);
        result.put("FloatArrays.dotMany", hash(out));
        FloatArrays.dotManyRows(in.queries, 0, headDim, 4, in.keys, 0, headDim, 64, headDim, out, 0, 64);
        result.put("FloatArrays.dotManyRows", hash(out));
        float[] scores = in.scores.clone();
        FloatArrays.scale(scores, 0, 8f, scores.length);
        float[] sums = new float[4];
        for (int g = 0; g < 4; g++) {
            int n = 64 - 3 * g; // with and without a scalar tail
            sums[g] = FloatArrays.expShiftSum(scores, 64 * g, n, FloatArrays.max(scores, 64 * g, n));
        }
        result.put("FloatArrays.expShiftSum", hash(scores) * 31 + hash(sums));
        float[] acc = new float[4 * headDim];
        FloatArrays.axpyManyRows(scores, 0, 64, 4, in.values, 0, headDim, 64, acc, 0, headDim, headDim);
        result.put("FloatArrays.axpyManyRows", hash(acc));
        return result;
    }

    private static float[] vector(int n, long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * (i % 37 == 0 ? 10 : 1);
        }
        return v;
    }

    /** FNV-1a over the floats' bits. */
    private static long hash(float[] values) {
        long h = 0xcbf29ce484222325L;
        for (float v : values) {
            h = (h ^ Float.floatToRawIntBits(v)) * 0x100000001b3L;
        }
        return h;
    }
}
