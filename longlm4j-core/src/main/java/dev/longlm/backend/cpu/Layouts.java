package dev.longlm.backend.cpu;

import dev.longlm.tensor.HalfFloat;
import dev.longlm.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian, unaligned value layouts for reading ggml blocks in place, and a shape check. */
final class Layouts {
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Layouts() {
    }

    /** Bytes of one row of {@code cols} values. */
    static long rowBytes(GgmlType type, int cols) {
        return (long) (cols / type.blockSize()) * type.bytesPerBlock();
    }

    /** Rejects shapes that do not fit the data, so kernels can read without further checks. */
    static void check(GgmlType type, MemorySegment data, int rows, int cols) {
        if (rows < 0 || cols <= 0 || cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " matrix of " + rows + " x " + cols
                    + ": columns must be a positive multiple of " + type.blockSize());
        }
        long need = rows * rowBytes(type, cols);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException(type + " matrix of " + rows + " x " + cols + " needs " + need
                    + " bytes, data has " + data.byteSize());
        }
    }

    static float f16(MemorySegment data, long offset) {
        return HalfFloat.f16ToF32(data.get(SHORT, offset));
    }
}
