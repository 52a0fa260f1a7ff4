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

/** Q5_1: blocks of 32 as {@code f16 d, f16 m, u32 high bits, 16 bytes of low nibbles}; value = q·d + m. */
public record Q5_1Matrix(MemorySegment data, int rows, int cols) implements IntegerMatvecMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q5_1.bytesPerBlock();

    /**
     * Four 24-byte blocks (96 bytes) are read as two loads, at the first block and 32 bytes on, which
     * between them hold every byte of the four: two-vector permutes pick nibbles, high bits and scales.
     */
    private static final int SECOND_LOAD = 32;
    /** The 64 nibble bytes of four blocks, 16 per block in order, as Q4_0's (so its activation order serves). */
    private static final ByteVector NIBBLE_BYTES = IntegerKernels.pickBytes(i -> BLOCK_BYTES * (i / 16) + 8 + i % 16, SECOND_LOAD);
    /**
     * For 16-bit lane t of the nibbles (block t / 8, nibble bytes j = 2·(t % 8) and j + 1, so values
     * j, j + 16, j + 1, j + 17 in planes 0-3), the high-bit bytes holding their fifth bits: bits j and
     * j + 1 in byte j / 8 (the lane's low byte), j + 16 and j + 17 in byte 2 + j / 8 (its high byte),
     * both at bit {@code j % 8 = 2·(t % 4)}.
     */
    private static final ByteVector HIGH_BIT_BYTES = IntegerKernels.pickBytes(i -> highBitByte(i, BLOCK_BYTES, 4), SECOND_LOAD);
    /**
     * Lane t times {@code 2^(6 − 2·(t % 4))} moves its fifth bits to bits 6, 14 (j, j + 16) and 7, 15
     * (j + 1, j + 17) in every lane; the two bytes' shifted bits cannot overlap or carry. A per-lane
     * shift as a multiply: uniform shifts then extract each plane's bit.
     */
    static final ShortVector HIGH_BIT_SHIFTS = ShortVector.fromArray(IntegerKernels.S, highBitShifts(), 0);
    /** Int lane i takes, in its upper half, the f16 d of block i / 4 (at byte 24·(i / 4)). */
    private static final ShortVector SCALES = IntegerKernels.pickShorts(i -> BLOCK_BYTES * (i / 4), SECOND_LOAD);
    /** Int lane i < 4 takes, in its upper half, the f16 m of block i; the other lanes are multiplied by 0. */
    private static final ShortVector MINS = IntegerKernels.pickShorts(i -> BLOCK_BYTES * (i % 4) + 2, SECOND_LOAD);
    /** Float lane i takes activation scale i / 4. */
    private static final VectorShuffle<Float> EXPAND4 = VectorShuffle.fromOp(IntegerKernels.F, i -> i / 4);

    public Q5_1Matrix {
        Layouts.check(GgmlType.Q5_1, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        int blocks = cols / 32;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            float m = Layouts.f16(data, block + 2);
            int qh = data.get(Layouts.INT, block + 4);
            int o = outOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = data.get(Layouts.BYTE, block + 8 + j) & 0xFF;
                int lo = (q & 0xF) | (((qh >>> j) << 4) & 0x10);
                int hi = (q >>> 4) | ((qh >>> (j + 12)) & 0x10);
                out[o + j] = lo * d + m;
                out[o + j + 16] = hi * d + m;
            }
        }
    }

    @Override
    public LevelPlanes levelPlanes() {
        return Q4_0Matrix.PLANES;
    }

    /**
     * Integer kernel against Q8_1 levels a with scales da, four blocks (128 values) per step:
     * {@code Σ (q5·d + m)·a·da = d·da·Σ q5·a + m·da·Σ a}, as {@link Q4_1Matrix}'s kernel with the
     * fifth bits or-ed in (see {@link #HIGH_BIT_SHIFTS}). Four products of at most 31·127 per lane:
     * pairs reach 31496, still below 2^15. Needs {@code cols % 128 == 0}; tests call it directly on
     * any hardware.
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
                ByteVector second = ByteVector.fromMemorySegment(ByteVector.SPECIES_512, data, block + SECOND_LOAD, ByteOrder.LITTLE_ENDIAN);
                ShortVector w = NIBBLE_BYTES.selectFrom(first, second).reinterpretAsShorts();
                // bits 6, 14, 7, 15 of each lane: the fifth bits of its four values (planes 0-3)
                ShortVector h = HIGH_BIT_BYTES.selectFrom(first, second).reinterpretAsShorts().mul(HIGH_BIT_SHIFTS);
                int p = 32 * b;
                ShortVector sum = w.and((short) 0xF).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 0x10)).mul(ShortVector.fromArray(s16, planes, p))
                        .add(w.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).or(h.lanewise(VectorOperators.LSHR, 10).and((short) 0x10))
                                .mul(ShortVector.fromArray(s16, planes, p + 32)))
                        .add(w.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).or(h.lanewise(VectorOperators.LSHR, 3).and((short) 0x10))
                                .mul(ShortVector.fromArray(s16, planes, p + 64)))
                        .add(w.lanewise(VectorOperators.LSHR, 12).or(h.lanewise(VectorOperators.LSHR, 11).and((short) 0x10))
                                .mul(ShortVector.fromArray(s16, planes, p + 96)));
                // f16 → float / 2^112 as Q4_0Matrix.f16Scales, written out (see IntegerKernels on C2's inlining budget)
                ShortVector firstShorts = first.reinterpretAsShorts();
                ShortVector secondShorts = second.reinterpretAsShorts();
                FloatVector d = SCALES.selectFrom(firstShorts, secondShorts)
                        .reinterpretAsInts().lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats();
                FloatVector m = MINS.selectFrom(firstShorts, secondShorts)
                        .reinterpretAsInts().lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats();
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

    /**
     * The byte (from a group's first block) that byte i of {@link #HIGH_BIT_BYTES} takes, for blocks
     * of {@code blockBytes} with the high-bit word at {@code highBits} (also for Q5_0): lane i / 2's
     * low byte takes high-bit byte {@code j / 8}, its high byte {@code 2 + j / 8}, j = 2·(lane % 8).
     */
    static int highBitByte(int i, int blockBytes, int highBits) {
        int lane = i / 2;
        int j = 2 * (lane % 8);
        return blockBytes * (lane / 8) + highBits + (i % 2 == 0 ? 0 : 2) + j / 8;
    }

    private static short[] highBitShifts() {
        short[] factor = new short[32];
        for (int t = 0; t < 32; t++) {
            factor[t] = (short) (1 << (6 - 2 * (t % 4)));
        }
        return factor;
    }
}
