package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** Q4_1: blocks of 32 as {@code f16 d, f16 m, 16 bytes of nibbles}; value = q·d + m. */
public record Q4_1Matrix(MemorySegment data, int rows, int cols) implements IntegerMatvecMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q4_1.bytesPerBlock();

    /**
     * Four 20-byte blocks (80 bytes) are read as two loads, at the first block and 16 bytes on:
     * the nibble bytes of the first three come from the first, the fourth's from the second.
     */
    private static final int SECOND_LOAD = 16;
    /** The 64 nibble bytes of four blocks, 16 per block in order, as Q4_0's (so its activation order serves). */
    private static final ByteVector NIBBLE_BYTES = IntegerKernels.pickBytes(i -> BLOCK_BYTES * (i / 16) + 4 + i % 16, SECOND_LOAD);
    /** Int lane i takes, in its upper half, the f16 d of block i / 4 (short 10·(i / 4) of the first load). */
    private static final VectorShuffle<Short> SCALES = VectorShuffle.fromOp(IntegerKernels.S, i -> 10 * (i / 8));
    /** Int lane i < 4 takes, in its upper half, the f16 m of block i (short 10·i + 1); the other lanes are multiplied by 0. */
    private static final VectorShuffle<Short> MINS = VectorShuffle.fromOp(IntegerKernels.S, i -> 10 * (i / 2 % 4) + 1);
    /** Float lane i takes activation scale i / 4. */
    private static final VectorShuffle<Float> EXPAND4 = VectorShuffle.fromOp(IntegerKernels.F, i -> i / 4);

    public Q4_1Matrix {
        Layouts.check(GgmlType.Q4_1, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_1;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        int blocks = cols / 32;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            float m = Layouts.f16(data, block + 2);
            int o = outOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = data.get(Layouts.BYTE, block + 4 + j) & 0xFF;
                out[o + j] = (q & 0xF) * d + m;
                out[o + j + 16] = (q >>> 4) * d + m;
            }
        }
    }

    @Override
    public LevelPlanes levelPlanes() {
        return Q4_0Matrix.PLANES;
    }

    /**
     * Integer kernel against Q8_1 levels a with scales da, four blocks (128 values) per step:
     * {@code Σ (q·d + m)·a·da = d·da·Σ q·a + m·da·Σ a}. The first term is Q4_0's kernel without the
     * offset (four products of at most 15·127 per lane, pairs below 2^15); the second takes Σ a from
     * the activations' per-block sums, in float lanes 0-3 of a second accumulator. Needs
     * {@code cols % 128 == 0}; tests call it directly on any hardware.
     */
    @Override
    public void integerMatvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        integerMatvec(x.planes(Q4_0Matrix.PLANES), x.scales(), x.sums32(), out, outOffset, rowStart, rowEnd);
    }

    // Apart from the QuantizedActivations accessors, as in the K-quant kernels, where inlining them used up C2's
    // inlining budget and left vectors boxed (Q4_K 2× slower); not measured to matter for this one.
    private void integerMatvec(short[] planes, float[] activationScales, int[] sums32, float[] out, int outOffset, int rowStart, int rowEnd) {
        var s16 = IntegerKernels.S;
        var f32 = IntegerKernels.F;
        int blocks = cols / 32;
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(f32);
            FloatVector minAcc = FloatVector.zero(f32);
            for (int b = 0; b < blocks; b += 4, block += 4 * BLOCK_BYTES) {
                ByteVector first = ByteVector.fromMemorySegment(ByteVector.SPECIES_512, data, block, ByteOrder.LITTLE_ENDIAN);
                ShortVector w = NIBBLE_BYTES.selectFrom(first,
                        ByteVector.fromMemorySegment(ByteVector.SPECIES_512, data, block + SECOND_LOAD, ByteOrder.LITTLE_ENDIAN)).reinterpretAsShorts();
                int p = 32 * b;
                ShortVector sum = w.and((short) 0xF).mul(ShortVector.fromArray(s16, planes, p))
                        .add(w.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).mul(ShortVector.fromArray(s16, planes, p + 32)))
                        .add(w.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).mul(ShortVector.fromArray(s16, planes, p + 64)))
                        .add(w.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromArray(s16, planes, p + 96)));
                // f16 → float / 2^112 as Q4_0Matrix.f16Scales, written out (see IntegerKernels on C2's inlining budget)
                ShortVector scaleShorts = first.reinterpretAsShorts();
                FloatVector d = scaleShorts.rearrange(SCALES).reinterpretAsInts().lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats();
                FloatVector m = scaleShorts.rearrange(MINS).reinterpretAsInts().lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats();
                // lanes 0-3: the four blocks' da·2^112 and Σ a; lanes 4-15 zero
                FloatVector da = FloatVector.fromArray(FloatVector.SPECIES_128, activationScales, b).mul(Q4_0Matrix.TWO_112)
                        .reinterpretShape(f32, 0).reinterpretAsFloats();
                FloatVector levelSums = IntVector.fromArray(IntVector.SPECIES_128, sums32, b).convert(VectorOperators.I2F, 0)
                        .reinterpretShape(f32, 0).reinterpretAsFloats();
                FloatVector products = (FloatVector) sum.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0); // IntegerKernels.pairSums, written out
                acc = products.fma(d.mul(da.rearrange(EXPAND4)), acc);
                minAcc = levelSums.fma(m.mul(da), minAcc);
            }
            acc = acc.add(minAcc);
            // LaneSum's order, written out: past C2's inlining budget a call here would stay out of line
            acc = acc.add(acc.rearrange(LaneSum.WIDE_8));
            acc = acc.add(acc.rearrange(LaneSum.WIDE_4));
            acc = acc.add(acc.rearrange(LaneSum.WIDE_2));
            out[outOffset + r] = acc.add(acc.rearrange(LaneSum.WIDE_1)).lane(0);
        }
    }
}
