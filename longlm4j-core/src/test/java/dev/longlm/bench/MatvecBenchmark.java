package dev.longlm.bench;

import dev.longlm.gguf.GgmlType;
import dev.longlm.backend.cpu.ActivationFormat;
import dev.longlm.backend.cpu.QuantizedActivations;
import dev.longlm.backend.cpu.Quantizer;
import dev.longlm.backend.cpu.WeightMatrices;
import dev.longlm.backend.cpu.WeightMatrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Single-threaded matvec and 16-vector matmul of a 2048 × 2048 matrix per weight type (and the
 * rounding of 16 inputs to the type's activation format, which the engine does before each product), weights in
 * off-heap memory as when mapped from a file. Run:
 * {@code java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:<jmh jars>
 * org.openjdk.jmh.Main MatvecBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatvecBenchmark {
    private static final int SIZE = 2048;
    private static final int BATCH = 16;

    @Param({"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "F16", "BF16", "F32"})
    public String type;

    private WeightMatrix matrix;
    private float[] x;
    private float[] out;
    private float[] xs;
    private float[] outs;
    private final QuantizedActivations activations = new QuantizedActivations();
    private final QuantizedActivations rounded = new QuantizedActivations();

    @Setup
    public void setUp() {
        GgmlType t = GgmlType.valueOf(type);
        Random rnd = new Random(1);
        float[] w = new float[SIZE * SIZE];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        byte[] bytes = Quantizer.quantize(t, w);
        MemorySegment data = Arena.ofAuto().allocate(bytes.length, 64);
        MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
        matrix = WeightMatrices.of(t, data, SIZE, SIZE);
        x = new float[SIZE];
        xs = new float[BATCH * SIZE];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) rnd.nextGaussian();
        }
        System.arraycopy(xs, 0, x, 0, SIZE);
        ActivationFormat format = ActivationFormat.forWeights(t);
        if (format != ActivationFormat.F32) {
            rounded.quantize(format, x, 0, 1, SIZE);
        }
        out = new float[SIZE];
        outs = new float[BATCH * SIZE];
    }

    /** The engine's decode path: the input rounded to the type's activation format once, then the (integer, where one exists) kernel. */
    @Benchmark
    public float[] matvecRounded() {
        if (rounded.format() == ActivationFormat.F32) {
            return matvec();
        }
        matrix.prepare(rounded);
        matrix.matvec(rounded, out, 0, 0, SIZE);
        return out;
    }

    @Benchmark
    public float[] matvec() {
        matrix.matvec(x, 0, out, 0, 0, SIZE);
        return out;
    }

    /** The engine's per-product cost of rounding 16 inputs to the type's activation format (zero for float types). */
    @Benchmark
    public QuantizedActivations roundActivations16() {
        ActivationFormat format = ActivationFormat.forWeights(matrix.type());
        if (format != ActivationFormat.F32) {
            activations.quantize(format, xs, 0, BATCH, SIZE);
        }
        return activations;
    }

    @Benchmark
    public float[] matmul16() {
        matrix.matmul(xs, BATCH, outs, 0, SIZE);
        return outs;
    }
}
