package dev.longlm.backend.cuda;

import dev.longlm.tensor.HalfFloat;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * cuBLAS products in the engine's row-major convention ({@code Y = X·Wᵀ}, {@link GemmShape#linear})
 * on odd sizes, against a naive product in double precision of the same (rounded) inputs; run on a
 * GPU ({@link CublasGpuTest}) and on the fake.
 */
abstract class CublasContract {
    static final int ROWS = 37;
    static final int COLS = 129;
    static final int N = 65;

    /** Where the tests run (see {@link TestDevice}). */
    abstract TestDevice testDevice();

    CudaDevice device() {
        return testDevice().device();
    }

    /** Inputs as they are stored in {@code precision}'s input type, and the same values as floats. */
    private record Operand(MemorySegment stored, float[] values) {
    }

    private static Operand operand(Arena arena, GemmPrecision precision, int count, long seed) {
        Random random = new Random(seed);
        float[] values = new float[count];
        MemorySegment stored = arena.allocate((long) count * precision.inputBytes());
        for (int i = 0; i < count; i++) {
            float v = random.nextFloat() * 2 - 1;
            switch (precision) {
                case F32 -> {
                    stored.setAtIndex(JAVA_FLOAT, i, v);
                    values[i] = v;
                }
                case F16_TO_F32, F16_TO_F16 -> {
                    short h = HalfFloat.f32ToF16(v);
                    stored.setAtIndex(JAVA_SHORT, i, h);
                    values[i] = HalfFloat.f16ToF32(h);
                }
                case BF16_TO_F32, BF16_TO_BF16 -> {
                    short b = HalfFloat.f32ToBf16(v);
                    stored.setAtIndex(JAVA_SHORT, i, b);
                    values[i] = HalfFloat.bf16ToF32(b);
                }
            }
        }
        return new Operand(stored, values);
    }

    private static float read(MemorySegment y, GemmPrecision precision, int i) {
        return switch (precision) {
            case F32, F16_TO_F32, BF16_TO_F32 -> y.getAtIndex(JAVA_FLOAT, i);
            case F16_TO_F16 -> HalfFloat.f16ToF32(y.getAtIndex(JAVA_SHORT, i));
            case BF16_TO_BF16 -> HalfFloat.bf16ToF32(y.getAtIndex(JAVA_SHORT, i));
        };
    }

    /** Stores {@code v}, which must be exact in the output type (small integers are). */
    private static void write(MemorySegment y, GemmPrecision precision, int i, float v) {
        switch (precision) {
            case F32, F16_TO_F32, BF16_TO_F32 -> y.setAtIndex(JAVA_FLOAT, i, v);
            case F16_TO_F16 -> y.setAtIndex(JAVA_SHORT, i, HalfFloat.f32ToF16(v));
            case BF16_TO_BF16 -> y.setAtIndex(JAVA_SHORT, i, HalfFloat.f32ToBf16(v));
        }
    }

    /** Y[t][r] = Σ_c X[t][c]·W[r][c], row-major, in double. */
    static double[] naiveLinear(float[] w, float[] x, int rows, int cols, int n) {
        double[] y = new double[n * rows];
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += (double) x[t * cols + c] * w[r * cols + c];
                }
                y[t * rows + r] = sum;
            }
        }
        return y;
    }

    /**
     * Products of F16 or BF16 values are exact in F32, so what differs from the double reference is
     * F32 accumulation of 129 terms of size ≤ 1 (partial sums ≤ 129, so ≤ 129 · 129 · 2⁻²⁴ < 1e-3 in
     * the worst order, about 1e-5 in practice), plus the rounding of a half-precision output.
     */
    private static double tolerance(GemmPrecision precision, double expected) {
        double accumulation = 1e-4;
        return switch (precision) {
            case F32, F16_TO_F32, BF16_TO_F32 -> accumulation;
            case F16_TO_F16 -> accumulation + Math.abs(expected) * 0x1p-11 + 0x1p-24;
            case BF16_TO_BF16 -> accumulation + Math.abs(expected) * 0x1p-8 + 0x1p-126;
        };
    }

    private void checkLinear(GemmPrecision precision, float beta) {
        CudaDevice gpu = device();
        try (Arena arena = Arena.ofConfined()) {
            Operand w = operand(arena, precision, ROWS * COLS, 10);
            Operand x = operand(arena, precision, N * COLS, 11);
            DeviceMemory dw = gpu.allocate("W", w.stored().byteSize());
            DeviceMemory dx = gpu.allocate("X", x.stored().byteSize());
            DeviceMemory dy = gpu.allocate("Y", (long) N * ROWS * precision.outputBytes());
            try {
                gpu.copyToDevice(w.stored(), dw);
                gpu.copyToDevice(x.stored(), dx);
                MemorySegment prior = arena.allocate(dy.bytes());
                for (int i = 0; i < N * ROWS; i++) {
                    write(prior, precision, i, i % 7 - 3f);
                }
                gpu.copyToDevice(prior, dy);
                gpu.cublas().linear(precision, dw, dx, dy, ROWS, COLS, N, 1f, beta);
                MemorySegment y = arena.allocate(dy.bytes());
                gpu.copyToHost(dy, y);
                double[] expected = naiveLinear(w.values(), x.values(), ROWS, COLS, N);
                for (int i = 0; i < N * ROWS; i++) {
                    double e = expected[i] + beta * read(prior, precision, i);
                    assertEquals(e, read(y, precision, i), tolerance(precision, e),
                            precision + " Y[" + i / ROWS + "][" + i % ROWS + "]");
                }
            } finally {
                gpu.free(dw);
                gpu.free(dx);
                gpu.free(dy);
            }
        }
    }

    @Test
    void f32() {
        checkLinear(GemmPrecision.F32, 0f);
    }

    @Test
    void f16ToF32() {
        checkLinear(GemmPrecision.F16_TO_F32, 0f);
    }

    @Test
    void bf16ToF32() {
        checkLinear(GemmPrecision.BF16_TO_F32, 0f);
    }

    @Test
    void f16ToF16() {
        checkLinear(GemmPrecision.F16_TO_F16, 0f);
    }

    @Test
    void bf16ToBf16() {
        checkLinear(GemmPrecision.BF16_TO_BF16, 0f);
    }

    @Test
    void betaOneAddsTheProductToTheOutput() {
        checkLinear(GemmPrecision.F16_TO_F32, 1f);
    }

    @Test
    void aGraphReplaysAGemmOnTheInputsOfReplayTime() {
        CudaDevice gpu = device();
        GemmPrecision p = GemmPrecision.F32;
        try (Arena arena = Arena.ofConfined()) {
            Operand w = operand(arena, p, ROWS * COLS, 20);
            Operand x1 = operand(arena, p, N * COLS, 21);
            Operand x2 = operand(arena, p, N * COLS, 22);
            DeviceMemory dw = gpu.allocate("W", w.stored().byteSize());
            DeviceMemory dx = gpu.allocate("X", x1.stored().byteSize());
            DeviceMemory dy = gpu.allocate("Y", 4L * N * ROWS);
            try {
                gpu.copyToDevice(w.stored(), dw);
                try (CudaGraph graph = gpu.stream().capture(() -> gpu.cublas().linear(p, dw.address(), dx.address(),
                        dy.address(), ROWS, COLS, N))) {
                    for (Operand x : new Operand[] {x1, x2}) {
                        gpu.copyToDevice(x.stored(), dx);
                        graph.launch();
                        MemorySegment y = arena.allocate(dy.bytes());
                        gpu.copyToHost(dy, y);
                        double[] expected = naiveLinear(w.values(), x.values(), ROWS, COLS, N);
                        for (int i = 0; i < N * ROWS; i++) {
                            assertEquals(expected[i], y.getAtIndex(JAVA_FLOAT, i), 1e-4, "Y[" + i + "]");
                        }
                    }
                }
            } finally {
                gpu.free(dw);
                gpu.free(dx);
                gpu.free(dy);
            }
        }
    }

    @Test
    void aTooSmallRangeIsRefusedBeforeCublasReadsPastIt() {
        CudaDevice gpu = device();
        DeviceMemory w = gpu.allocate("W", 4L * ROWS * COLS);
        DeviceMemory x = gpu.allocate("X", 4L * N * COLS);
        DeviceMemory y = gpu.allocate("Y", 4L * N * ROWS - 4);
        try {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> gpu.cublas().linear(GemmPrecision.F32, w, x, y, ROWS, COLS, N, 1f, 0f));
            assertEquals("output of 65x37 needs 9620 bytes but its device range has 9616", e.getMessage());
        } finally {
            gpu.free(w);
            gpu.free(x);
            gpu.free(y);
        }
    }

    @Test
    void aBadShapeNamesTheStatus() {
        CudaDevice gpu = device();
        DeviceMemory m = gpu.allocate("tiny", 4096);
        try {
            GemmShape tooShortRows = new GemmShape(false, false, 8, 8, 8, 4, 8, 8);
            CudaException e = assertThrows(CudaException.class, () -> gpu.cublas().gemm(GemmPrecision.F32, tooShortRows,
                    m.address(), m.address(), m.address(), 1f, 0f));
            assertEquals("CUBLAS_STATUS_INVALID_VALUE", e.errorName());
        } finally {
            gpu.free(m);
        }
    }
}
