package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * IEEE half-precision weights. The Vector API has no half-float lanes, so halves are widened with
 * integer operations, using the same branch-free construction as ggml's fp16-to-fp32 (exact for
 * every input, subnormals, infinities and NaN included).
 */
public record F16Matrix(MemorySegment data, int rows, int cols) implements RowDequantizingMatrix {
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * 16));

    public F16Matrix {
        Layouts.check(GgmlType.F16, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long base = (long) row * cols * 2;
        int lanes = F.length();
        int c = 0;
        for (; c <= cols - lanes; c += lanes) {
            load(base + 2L * c).intoArray(out, outOffset + c);
        }
        for (; c < cols; c++) {
            out[outOffset + c] = Layouts.f16(data, base + 2L * c);
        }
    }

    @Override
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        int lanes = F.length();
        if (lanes > 16) { // the sum below is written out for up to 16 lanes
            RowDequantizingMatrix.super.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        for (int r = rowStart; r < rowEnd; r++) {
            long base = (long) r * cols * 2;
            FloatVector acc = FloatVector.zero(F);
            int c = 0;
            for (; c <= cols - lanes; c += lanes) {
                acc = load(base + 2L * c).fma(FloatVector.fromArray(F, x, xOffset + c), acc);
            }
            // LaneSum's order, written out (see the integer kernels)
            if (lanes == 16) {
                acc = acc.add(acc.rearrange(LaneSum.PREFERRED_8));
            }
            if (lanes >= 8) {
                acc = acc.add(acc.rearrange(LaneSum.PREFERRED_4));
            }
            if (lanes >= 4) {
                acc = acc.add(acc.rearrange(LaneSum.PREFERRED_2));
            }
            float sum = acc.add(acc.rearrange(LaneSum.PREFERRED_1)).lane(0);
            for (; c < cols; c++) {
                sum += Layouts.f16(data, base + 2L * c) * x[xOffset + c];
            }
            out[outOffset + r] = sum;
        }
    }

    /** {@code F.length()} halves at byte {@code offset}, widened exactly to floats. */
    private FloatVector load(long offset) {
        IntVector h = ((IntVector) ShortVector.fromMemorySegment(S, data, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0)).and(0xFFFF);
        IntVector w = h.lanewise(VectorOperators.LSHL, 16);
        IntVector sign = w.and(0x80000000);
        IntVector twoW = w.add(w);
        // normal (and inf/NaN): move exponent and mantissa into place, then rescale the exponent bias
        FloatVector normal = twoW.lanewise(VectorOperators.LSHR, 4).add(0xE0 << 23)
                .reinterpretAsFloats().mul(0x1.0p-112f);
        // subnormal: place the mantissa under a fixed exponent and subtract that exponent's implicit one
        FloatVector subnormal = twoW.lanewise(VectorOperators.LSHR, 17).or(126 << 23)
                .reinterpretAsFloats().sub(0.5f);
        VectorMask<Integer> isSubnormal = twoW.lanewise(VectorOperators.LSHR, 27).compare(VectorOperators.EQ, 0);
        IntVector magnitude = normal.reinterpretAsInts().blend(subnormal.reinterpretAsInts(), isSubnormal);
        return magnitude.or(sign).reinterpretAsFloats();
    }
}
