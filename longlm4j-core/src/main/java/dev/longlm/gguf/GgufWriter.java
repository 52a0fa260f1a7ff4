package dev.longlm.gguf;

import dev.longlm.OutputFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF version 3 file: metadata in insertion order, tensor infos, then each tensor's data
 * at an offset aligned to {@code general.alignment} (32 unless the metadata says otherwise).
 * Tensor data is pulled from a {@link TensorData} only while writing, so a large model can be
 * streamed without holding it in memory.
 */
public final class GgufWriter {
    /** Where a tensor's bytes come from. */
    public interface TensorData {
        long byteSize();

        /** Writes exactly {@link #byteSize()} bytes. */
        void writeTo(Sink sink) throws IOException;

        static TensorData of(MemorySegment segment) {
            return new TensorData() {
                public long byteSize() {
                    return segment.byteSize();
                }

                public void writeTo(Sink sink) throws IOException {
                    sink.write(segment);
                }
            };
        }

        static TensorData of(byte[] bytes) {
            return of(MemorySegment.ofArray(bytes));
        }

        /** Little-endian float32 values. */
        static TensorData ofFloats(float[] values) {
            MemorySegment segment = MemorySegment.ofArray(new byte[values.length * 4]);
            MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values.length);
            return of(segment);
        }
    }

    /** Byte output handed to {@link TensorData#writeTo}. */
    public interface Sink {
        void write(byte[] bytes, int offset, int length) throws IOException;

        void write(MemorySegment segment) throws IOException;
    }

    private record PendingTensor(String name, long[] shape, GgmlType type, TensorData data) {
    }

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    /** The metadata value stored under {@code key} so far, or null. */
    public GgufValue get(String key) {
        return metadata.get(key);
    }

    public GgufWriter putAll(Map<String, GgufValue> values) {
        metadata.putAll(values);
        return this;
    }

    /** Adds a tensor ({@code shape[0]} innermost, as in ggml); its data size must match shape and type. */
    public GgufWriter addTensor(String name, long[] shape, GgmlType type, TensorData data) {
        GgufTensorInfo info = new GgufTensorInfo(name, shape.clone(), type, 0);
        if (shape.length < 1 || shape.length > 4 || shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type + " cannot have shape " + info.shapeString());
        }
        if (data.byteSize() != info.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "' " + info.shapeString() + " of type " + type + " needs "
                    + info.byteSize() + " bytes, data has " + data.byteSize());
        }
        for (PendingTensor t : tensors) {
            if (t.name().equals(name)) {
                throw new IllegalArgumentException("tensor '" + name + "' added twice");
            }
        }
        tensors.add(new PendingTensor(name, shape.clone(), type, data));
        return this;
    }

    public GgufWriter addTensor(String name, long[] shape, float[] values) {
        return addTensor(name, shape, GgmlType.F32, TensorData.ofFloats(values));
    }

    /**
     * Writes the file atomically ({@link OutputFile}): an interrupted write leaves any earlier file
     * at {@code path} as it was. I/O failures are {@link dev.longlm.InputException}s that say what to do.
     */
    public void write(Path path) throws IOException {
        int alignment = alignment();
        OutputFile.replace(path, temporary -> writeTo(temporary, alignment));
    }

    private void writeTo(Path path, int alignment) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
             Output out = new Output(channel)) {
            out.i32(GgufFile.MAGIC);
            out.i32(3);
            out.i64(tensors.size());
            out.i64(metadata.size());
            for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
                out.string(e.getKey());
                GgufValueWriter.write(out, e.getKey(), e.getValue());
            }
            long offset = 0;
            for (PendingTensor t : tensors) {
                out.string(t.name());
                out.i32(t.shape().length);
                for (long d : t.shape()) {
                    out.i64(d);
                }
                out.i32(t.type().id());
                out.i64(offset);
                offset = GgufFile.align(offset + t.data().byteSize(), alignment);
            }
            out.padTo(alignment);
            for (PendingTensor t : tensors) {
                long start = out.position();
                t.data().writeTo(out);
                long written = out.position() - start;
                if (written != t.data().byteSize()) {
                    throw new IllegalStateException("tensor '" + t.name() + "' wrote " + written + " bytes, declared "
                            + t.data().byteSize());
                }
                out.padTo(alignment);
            }
        }
    }

    private int alignment() {
        GgufValue v = metadata.get(GgufFile.ALIGNMENT_KEY);
        int alignment = v == null ? GgufFile.DEFAULT_ALIGNMENT : ((Number) v.value()).intValue();
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException(GgufFile.ALIGNMENT_KEY + " must be a power of two, got " + alignment);
        }
        return alignment;
    }

    /** Buffered little-endian output over a file channel that tracks its position. */
    static final class Output implements Sink, AutoCloseable {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final MemorySegment bufferBytes = MemorySegment.ofArray(buffer.array());
        private long flushed;

        Output(FileChannel channel) {
            this.channel = channel;
        }

        long position() {
            return flushed + buffer.position();
        }

        private void ensure(int bytes) throws IOException {
            if (buffer.remaining() < bytes) {
                flush();
            }
        }

        private void flush() throws IOException {
            buffer.flip();
            while (buffer.hasRemaining()) {
                flushed += channel.write(buffer);
            }
            buffer.clear();
        }

        void i8(int v) throws IOException {
            ensure(1);
            buffer.put((byte) v);
        }

        void i16(int v) throws IOException {
            ensure(2);
            buffer.putShort((short) v);
        }

        void i32(int v) throws IOException {
            ensure(4);
            buffer.putInt(v);
        }

        void i64(long v) throws IOException {
            ensure(8);
            buffer.putLong(v);
        }

        void f32(float v) throws IOException {
            ensure(4);
            buffer.putFloat(v);
        }

        void f64(double v) throws IOException {
            ensure(8);
            buffer.putDouble(v);
        }

        void string(String s) throws IOException {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            i64(bytes.length);
            write(bytes, 0, bytes.length);
        }

        void padTo(int alignment) throws IOException {
            long pad = GgufFile.align(position(), alignment) - position();
            for (long i = 0; i < pad; i++) {
                i8(0);
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            write(MemorySegment.ofArray(bytes).asSlice(offset, length));
        }

        @Override
        public void write(MemorySegment segment) throws IOException {
            long done = 0;
            long size = segment.byteSize();
            while (done < size) {
                if (!buffer.hasRemaining()) {
                    flush();
                }
                int chunk = (int) Math.min(buffer.remaining(), size - done);
                MemorySegment.copy(segment, done, bufferBytes, buffer.position(), chunk);
                buffer.position(buffer.position() + chunk);
                done += chunk;
            }
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
