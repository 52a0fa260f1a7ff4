package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_0: blocks of 32 as {@code f16 d, 16 bytes}; byte j holds element j in its low nibble and
 * element j + 16 in its high nibble; value = (q - 8)·d.
 */
public record Q4_0Matrix(MemorySegment data, int rows, int cols) implements IntegerMatvecMatrix {
    private static final int BLOCK_BYTES = GgmlType.Q4_0.bytesPerBlock();

    // Local constants: the JIT must see the species as constants in the kernel to keep vectors unboxed.
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Byte> B = VectorKernels.B;

    /**
     * Activation order for the integer kernel: its 64-byte vector holds the nibbles of four blocks,
     * 16 bytes each, and byte j of a block holds value j (low nibble) and j + 16 (high).
     */
    static final LevelPlanes PLANES = LevelPlanes.nibbles("Q4_0", (byteIndex, high) -> 32 * (byteIndex / 16) + byteIndex % 16 + (high ? 16 : 0));
    /**
     * Picks the 64 nibble bytes of four 18-byte blocks out of two loads, at the first block + 2 and
     * + 8 (both within the 72 bytes): one two-vector byte permute (vpermt2b) drops the scales.
     */
    private static final ByteVector NIBBLE_BYTES = ByteVector.fromArray(ByteVector.SPECIES_512, nibbleIndexes(), 0);
    /** Int lane i takes, in its upper half, the f16 scale of block i / 4 (short 9·(i / 4) of a load at the first block). */
    private static final VectorShuffle<Short> SCALES = VectorShuffle.fromOp(IntegerKernels.S, i -> 9 * (i / 8));
    /** Float lane i takes activation scale i / 4. */
    private static final VectorShuffle<Float> EXPAND4 = VectorShuffle.fromOp(IntegerKernels.F, i -> i / 4);

    public Q4_0Matrix {
        Layouts.check(GgmlType.Q4_0, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        if (!VectorKernels.FUSED) {
            dequantizeRowScalar(row, out, outOffset);
            return;
        }
        int blocks = cols / 32;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            int o = outOffset + b * 32;
            for (int j = 0; j < 16; j += F.length()) {
                ByteVector packed = ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ((FloatVector) packed.and((byte) 0xF).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d).intoArray(out, o + j);
                ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).sub((byte) 8)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, o + 16 + j);
            }
        }
    }

    /** The plain per-value form of {@link #dequantizeRow}, for lane widths without fused kernels (tested directly). */
    void dequantizeRowScalar(int row, float[] out, int outOffset) {
        int blocks = cols / 32;
        long block = (long) row * blocks * BLOCK_BYTES;
        for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
            float d = Layouts.f16(data, block);
            int o = outOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = data.get(Layouts.BYTE, block + 2 + j) & 0xFF;
                out[o + j] = ((q & 0xF) - 8) * d;
                out[o + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    @Override
    public void matvec(float[] x, int xOffset, float[] out, int outOffset, int rowStart, int rowEnd) {
        if (!VectorKernels.FUSED) {
            IntegerMatvecMatrix.super.matvec(x, xOffset, out, outOffset, rowStart, rowEnd);
            return;
        }
        int blocks = cols / 32;
        int lanes = F.length();
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++, block += BLOCK_BYTES) {
                int xo = xOffset + b * 32;
                FloatVector blockSum = FloatVector.zero(F);
                for (int j = 0; j < 16; j += lanes) {
                    ByteVector packed = ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = packed.and((byte) 0xF).sub((byte) 8);
                    ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).sub((byte) 8);
                    FloatVector loF = (FloatVector) lo.convertShape(VectorOperators.B2F, F, 0);
                    FloatVector hiF = (FloatVector) hi.convertShape(VectorOperators.B2F, F, 0);
                    blockSum = loF.fma(FloatVector.fromArray(F, x, xo + j), blockSum);
                    blockSum = hiF.fma(FloatVector.fromArray(F, x, xo + 16 + j), blockSum);
                }
                acc = blockSum.fma(FloatVector.broadcast(F, Layouts.f16(data, block)), acc);
            }
            // LaneSum's order, written out (see the integer kernel); FUSED means 8 or 16 lanes
            if (lanes == 16) {
                acc = acc.add(acc.rearrange(LaneSum.PREFERRED_8));
            }
            acc = acc.add(acc.rearrange(LaneSum.PREFERRED_4));
            acc = acc.add(acc.rearrange(LaneSum.PREFERRED_2));
            out[outOffset + r] = acc.add(acc.rearrange(LaneSum.PREFERRED_1)).lane(0);
        }
    }

    @Override
    public LevelPlanes levelPlanes() {
        return PLANES;
    }

    /**
     * Integer kernel against Q8_0 levels a with scales da, four blocks (128 values) per step:
     * {@code Σ (q − 8)·d·a·da = d·da·Σ (q − 8)·a}. Each 16-bit lane holds four nibbles of one block;
     * the four products (|·| ≤ 8·127) are summed in the lane, pairs of lanes give the four partial
     * sums of each block as floats, and one FMA applies a vector of the four d·da. The scales are
     * built with vector ops (see {@link #f16Scales}): scalar f16 reads blended into a vector per step
     * were slower than the float kernel. Needs {@code cols % 128 == 0} (the planes' span); tests call
     * it directly on any hardware.
     */
    @Override
    public void integerMatvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        integerMatvec(x.planes(PLANES), x.scales(), out, outOffset, rowStart, rowEnd);
    }

    // Apart from the QuantizedActivations accessors, as in the K-quant kernels, where inlining them used up C2's
    // inlining budget and left vectors boxed (Q4_K 2× slower); not measured to matter for this one.
    private void integerMatvec(short[] planes, float[] activationScales, float[] out, int outOffset, int rowStart, int rowEnd) {
        var s16 = IntegerKernels.S;
        int blocks = cols / 32;
        for (int r = rowStart; r < rowEnd; r++) {
            long block = (long) r * blocks * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(IntegerKernels.F);
            for (int b = 0; b < blocks; b += 4, block += 4 * BLOCK_BYTES) {
                ShortVector w = NIBBLE_BYTES.selectFrom(
                        ByteVector.fromMemorySegment(ByteVector.SPECIES_512, data, block + 2, ByteOrder.LITTLE_ENDIAN),
                        ByteVector.fromMemorySegment(ByteVector.SPECIES_512, data, block + 8, ByteOrder.LITTLE_ENDIAN)).reinterpretAsShorts();
                int p = 32 * b;
                ShortVector sum = w.and((short) 0xF).sub((short) 8).mul(ShortVector.fromArray(s16, planes, p))
                        .add(w.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).sub((short) 8).mul(ShortVector.fromArray(s16, planes, p + 32)))
                        .add(w.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).sub((short) 8).mul(ShortVector.fromArray(s16, planes, p + 64)))
                        .add(w.lanewise(VectorOperators.LSHR, 12).sub((short) 8).mul(ShortVector.fromArray(s16, planes, p + 96)));
                FloatVector d = f16Scales(ShortVector.fromMemorySegment(s16, data, block, ByteOrder.LITTLE_ENDIAN).rearrange(SCALES));
                FloatVector da = FloatVector.fromArray(FloatVector.SPECIES_128, activationScales, b)
                        .reinterpretShape(IntegerKernels.F, 0).reinterpretAsFloats().rearrange(EXPAND4);
                // one accumulator: alternating two through a branch made C2 box the vectors (3× slower)
                acc = IntegerKernels.pairSums(sum).fma(d.mul(da.mul(TWO_112)), acc);
            }
            // LaneSum's order, written out: past C2's inlining budget a call here would stay out of line
            acc = acc.add(acc.rearrange(LaneSum.WIDE_8));
            acc = acc.add(acc.rearrange(LaneSum.WIDE_4));
            acc = acc.add(acc.rearrange(LaneSum.WIDE_2));
            out[outOffset + r] = acc.add(acc.rearrange(LaneSum.WIDE_1)).lane(0);
        }
    }

    /** 2^112: scales {@link #f16Scales} back; applied to the activation scales (at most 65504·2^112 < 2^128, no overflow). */
    static final float TWO_112 = 0x1p112f;

    /**
     * The f16 in the upper half of each int lane of {@code v} as a float divided by 2^112, exactly
     * (subnormals too): shifting right by 3 places the exponent and mantissa where a float has them,
     * and the mask keeps the sign and clears the bits the shift brought in. Two ops for 16 scales.
     */
    static FloatVector f16Scales(ShortVector v) {
        return v.reinterpretAsInts().lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats();
    }

    private static byte[] nibbleIndexes() {
        byte[] index = new byte[64];
        for (int i = 0; i < 64; i++) {
            int offset = 18 * (i / 16) + 2 + i % 16; // byte i % 16 of block i / 16, from the first block
            index[i] = (byte) (offset - 2 < 64 ? offset - 2 : 64 + offset - 8);
        }
        return index;
    }
}
