package dev.longlm.tensor;

import dev.longlm.InputException;
import dev.longlm.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A weight tensor as the file stores it: {@code rows × cols} values of one ggml type, row-major, each
 * row quantized on its own (ggml's {@code ne0 = cols}, {@code ne1 = rows}), its bytes read in place from
 * the memory-mapped file. This is what the model describes and what every backend loads from: the CPU
 * backend wraps the bytes in its kernels, a GPU backend uploads them unchanged.
 */
public record TensorData(String name, GgmlType type, int rows, int cols, MemorySegment bytes) {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public TensorData {
        if (rows < 1 || cols < 1 || cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": " + type + " tensor of " + rows + " x " + cols
                    + ": columns must be a positive multiple of " + type.blockSize());
        }
        if (bytes.byteSize() < (long) rows * type.bytesFor(cols)) {
            throw new IllegalArgumentException(name + ": " + type + " tensor of " + rows + " x " + cols + " needs "
                    + (long) rows * type.bytesFor(cols) + " bytes, has " + bytes.byteSize());
        }
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return type.bytesFor(cols);
    }

    /** Bytes of the whole tensor. */
    public long byteSize() {
        return rows * rowBytes();
    }

    /** Rows {@code first … first+count-1} as a tensor of their own (a view of the same bytes). */
    public TensorData rowRange(String viewName, int first, int count) {
        return new TensorData(viewName, type, count, cols, bytes.asSlice(first * rowBytes(), count * rowBytes()));
    }

    /**
     * The values of a vector (a one-row tensor, or all elements of a small tensor) as floats: norms'
     * scales and biases, RoPE frequency factors. Files keep them as F32, sometimes F16 or BF16.
     */
    public float[] toFloats() {
        long count = (long) rows * cols;
        if (count > Integer.MAX_VALUE - 8) {
            throw new InputException(name + ": " + count + " values are too many for a vector");
        }
        float[] v = new float[(int) count];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (type) {
                case F32 -> bytes.get(F32, 4L * i);
                case F16 -> HalfFloat.f16ToF32(bytes.get(I16, 2L * i));
                case BF16 -> Float.intBitsToFloat((bytes.get(I16, 2L * i) & 0xFFFF) << 16);
                default -> throw new InputException("tensor '" + name + "' is stored as " + type
                        + "; vectors (norms, biases, RoPE factors) must be F32, F16 or BF16");
            };
        }
        return v;
    }
}
