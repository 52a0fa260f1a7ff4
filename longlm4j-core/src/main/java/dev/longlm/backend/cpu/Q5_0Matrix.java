package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q5_0: blocks of 32 as {@code f16 d, u32 high bits, 16 bytes of low nibbles}; value = (q - 16)·d,
 * with bit j of the high word the fifth bit of element j.
 */
public record Q5_0Matrix(MemorySegment data, int rows, int cols) implements IntegerMatvecMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q5_0.bytesPerBlock();

    /**
     * Four 22-byte blocks (88 bytes) are read as two loads, at the first block and 24 bytes on, which
     * between them hold every byte of the four: two-vector permutes pick nibbles, high bits and scales.
     */
    private static final int SECOND_LOAD = 24;
    /** The 64 nibble bytes of four blocks, 16 per block in order, as Q4_0's (so its activation order serves). */
    private static final ByteVector NIBBLE_BYTES = IntegerKernels.pickBytes(i -> BLOCK_BYTES * (i / 16) + 6 + i % 16, SECOND_LOAD);
    /** For each lane of the nibbles, the two high-bit bytes holding its values' fifth bits (see {@link Q5_1Matrix#highBitByte}). */
    private static final ByteVector HIGH_BIT_BYTES = IntegerKernels.pickBytes(i -> Q5_1Matrix.highBitByte(i, BLOCK_BYTES, 2), SECOND_LOAD);
    /** Int lane i takes, in its upper half, the f16 d of block i / 4 (at byte 22·(i / 4)). */
    private static final ShortVector SCALES = IntegerKernels.pickShorts(i -> BLOCK_BYTES * (i / 4), SECOND_LOAD);
    /** Float lane i takes activation scale i / 4. */
    private static final VectorShuffle<Float> EXPAND4 = VectorShuffle.fromOp(IntegerKernels.F, i -> i / 4);

    public Q5_0Matrix {
        Layouts.check(GgmlType.Q5_0, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        int blocks = cols / 32;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            int qh = data.get(Layouts.INT, block + 2);
            int o = outOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = data.get(Layouts.BYTE, block + 6 + j) & 0xFF;
                int lo = (q & 0xF) | (((qh >>> j) << 4) & 0x10);
                int hi = (q >>> 4) | ((qh >>> (j + 12)) & 0x10);
                out[o + j] = (lo - 16) * d;
                out[o + j + 16] = (hi - 16) * d;
            }
        }
    }

    @Override
    public LevelPlanes levelPlanes() {
        return Q4_0Matrix.PLANES;
    }

    /**
     * Integer kernel against Q8_0 levels a with scales da, four blocks (128 values) per step:
     * {@code Σ (q5 − 16)·d·a·da = d·da·Σ (q5 − 16)·a}, laid out as Q4_0's kernel. A lane's four
     * fifth bits come from {@link Q5_1Matrix#HIGH_BIT_SHIFTS}, inverted: {@code q5 − 16} is the
     * nibble minus 16 where the bit is clear. Four products of at most 16·127 per lane, pairs below
     * 2^15. Needs {@code cols % 128 == 0}; tests call it directly on any hardware.
     */
    @Override
    public void integerMatvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        integerMatvec(x.planes(Q4_0Matrix.PLANES), x.scales(), out, outOffset, rowStart, rowEnd);
    }

    // Apart from the QuantizedActivations accessors, as in the K-quant kernels, where inlining them used up C2's
    // inlining budget and left vectors boxed (Q4_K 2× slower); not measured to matter for this one.
    private void integerMatvec(short[] planes, float[] activationScales, float[] out, int outOffset, int rowStart, int rowEnd) {
        var s16 = IntegerKernels.S;
        var f32 = IntegerKernels.F;
        int blocks = cols / 32;
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(f32);
            for (int b = 0; b < blocks; b += 4, block += 4 * BLOCK_BYTES) {
                ByteVector first = ByteVector.fromMemorySegment(ByteVector.SPECIES_512, data, block, ByteOrder.LITTLE_ENDIAN);
                ByteVector second = ByteVector.fromMemorySegment(ByteVector.SPECIES_512, data, block + SECOND_LOAD, ByteOrder.LITTLE_ENDIAN);
                ShortVector w = NIBBLE_BYTES.selectFrom(first, second).reinterpretAsShorts();
                // bits 6, 14, 7, 15 of each lane: the fifth bits of its four values (planes 0-3), clear where set
                ShortVector h = HIGH_BIT_BYTES.selectFrom(first, second).reinterpretAsShorts().mul(Q5_1Matrix.HIGH_BIT_SHIFTS).not();
                int p = 32 * b;
                ShortVector sum = w.and((short) 0xF).sub(h.lanewise(VectorOperators.LSHR, 2).and((short) 0x10)).mul(ShortVector.fromArray(s16, planes, p))
                        .add(w.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).sub(h.lanewise(VectorOperators.LSHR, 10).and((short) 0x10))
                                .mul(ShortVector.fromArray(s16, planes, p + 32)))
                        .add(w.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).sub(h.lanewise(VectorOperators.LSHR, 3).and((short) 0x10))
                                .mul(ShortVector.fromArray(s16, planes, p + 64)))
                        .add(w.lanewise(VectorOperators.LSHR, 12).sub(h.lanewise(VectorOperators.LSHR, 11).and((short) 0x10))
                                .mul(ShortVector.fromArray(s16, planes, p + 96)));
                // f16 → float / 2^112 as Q4_0Matrix.f16Scales, written out (see IntegerKernels on C2's inlining budget)
                FloatVector d = SCALES.selectFrom(first.reinterpretAsShorts(), second.reinterpretAsShorts())
                        .reinterpretAsInts().lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats();
                FloatVector da = FloatVector.fromArray(FloatVector.SPECIES_128, activationScales, b)
                        .reinterpretShape(f32, 0).reinterpretAsFloats().rearrange(EXPAND4);
                FloatVector products = (FloatVector) sum.reinterpretAsInts().mul(0x10001).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0); // IntegerKernels.pairSums, written out
                acc = products.fma(d.mul(da.mul(Q4_0Matrix.TWO_112)), acc);
            }
            // LaneSum's order, written out: past C2's inlining budget a call here would stay out of line
            acc = acc.add(acc.rearrange(LaneSum.WIDE_8));
            acc = acc.add(acc.rearrange(LaneSum.WIDE_4));
            acc = acc.add(acc.rearrange(LaneSum.WIDE_2));
            out[outOffset + r] = acc.add(acc.rearrange(LaneSum.WIDE_1)).lane(0);
        }
    }
}
