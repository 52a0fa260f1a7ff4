package dev.longlm.gguf;

import dev.longlm.InputException;
import dev.longlm.Printable;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3), memory-mapped read-only. Metadata and tensor infos are parsed
 * eagerly and validated; tensor data stays in the mapping and is handed out as slices, so loading
 * copies nothing and files larger than 2 GB work.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    /** Longest key or tensor name: the GGUF specification limits keys to 65535 bytes. */
    public static final int MAX_NAME_BYTES = 65535;
    /** Fewest bytes a metadata entry takes: key length, one key byte, value type, one value byte. */
    private static final int MIN_KV_BYTES = 8 + 1 + 4 + 1;
    /** Fewest bytes a tensor entry takes: name length, one name byte, dimension count, one dimension, type, offset. */
    private static final int MIN_TENSOR_BYTES = 8 + 1 + 4 + 8 + 4 + 8;

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, GgufTensorInfo> tensors;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, int version, GgufMetadata metadata,
                     Map<String, GgufTensorInfo> tensors, long dataOffset) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataOffset = dataOffset;
    }

    /** Opens and validates a GGUF file; any problem is an {@link InputException} naming the file. */
    public static GgufFile open(Path path) {
        if (!Files.exists(path)) {
            throw new InputException(path + ": no such file; pass the path of a .gguf model with -m");
        }
        if (Files.isDirectory(path)) {
            throw new InputException(path + ": is a directory, not a GGUF file");
        }
        // A FIFO or device would block in open() or read forever; only a regular file can be mapped.
        try {
            if (!Files.readAttributes(path, BasicFileAttributes.class).isRegularFile()) {
                throw new InputException(path + ": not a regular file (a pipe, device or socket); pass a .gguf file with -m");
            }
        } catch (IOException e) {
            throw new InputException(path + ": cannot read: " + e.getMessage());
        }
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapping = channel.size() == 0 ? MemorySegment.NULL.reinterpret(0)
                    : channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return parse(path, arena, mapping);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new InputException(path + ": no such file; pass the path of a .gguf model with -m");
        } catch (IOException e) {
            arena.close();
            throw new InputException(path + ": cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses a GGUF image held in memory (tests and fuzzing: no file, no mapping); {@code name} only
     * labels messages. Closing it frees nothing.
     */
    static GgufFile ofBytes(Path name, byte[] bytes) {
        return parse(name, null, MemorySegment.ofArray(bytes));
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment mapping) {
        Reader r = new Reader(path, mapping);
        if (mapping.byteSize() < 4) {
            throw r.error("not a GGUF file: only " + mapping.byteSize() + " bytes");
        }
        int magic = r.i32();
        if (magic != MAGIC) {
            throw r.error(String.format("not a GGUF file: bad magic 0x%08x (expected \"GGUF\")", magic));
        }
        int version = r.i32();
        if (version != 2 && version != 3) {
            throw r.error("unsupported GGUF version " + version + " (supported: 2, 3); re-convert the model with a current llama.cpp");
        }
        long tensorCount = r.count("tensor count", MIN_TENSOR_BYTES);
        long kvCount = r.count("metadata count", MIN_KV_BYTES);
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = r.name("metadata key");
            int typeId = r.i32();
            GgufValueType type = GgufValueType.fromId(typeId);
            if (type == null) {
                throw r.error("metadata key " + Printable.quoted(key) + " has unknown value type " + typeId);
            }
            if (kv.put(key, r.value(key, type)) != null) {
                throw r.error("metadata key " + Printable.quoted(key) + " appears twice");
            }
        }
        GgufMetadata metadata = new GgufMetadata(path.toString(), kv);
        Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = r.name("tensor name");
            String quoted = Printable.quoted(name);
            int dims = r.i32();
            if (dims < 1 || dims > 4) {
                throw r.error("tensor " + quoted + " has " + dims + " dimensions (expected 1 to 4)");
            }
            long[] shape = new long[dims];
            long elements = 1;
            for (int d = 0; d < dims; d++) {
                shape[d] = r.i64();
                if (shape[d] <= 0) {
                    throw r.error("tensor " + quoted + " has invalid dimension " + shape[d]);
                }
                // No file holds more elements than it has bits; this also keeps sizes from overflowing.
                long limit = mapping.byteSize() * 8;
                if (shape[d] > limit || elements > limit / shape[d]) {
                    throw r.error("tensor " + quoted + " has a dimension of " + shape[d]
                            + ", more elements than the file of " + mapping.byteSize() + " bytes can hold");
                }
                elements *= shape[d];
            }
            int typeId = r.i32();
            GgmlType type = GgmlType.fromId(typeId);
            if (type == null) {
                throw r.error("tensor " + quoted + " has unsupported tensor type " + typeId
                        + "; re-quantize the model to one of F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K");
            }
            if (shape[0] % type.blockSize() != 0) {
                throw r.error("tensor " + quoted + " of type " + type + " has first dimension " + shape[0]
                        + ", not a multiple of its block size " + type.blockSize());
            }
            long offset = r.i64();
            if (tensors.put(name, new GgufTensorInfo(name, shape, type, offset)) != null) {
                throw r.error("tensor " + quoted + " appears twice");
            }
        }
        int alignment = metadata.getInt(ALIGNMENT_KEY, DEFAULT_ALIGNMENT);
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw r.error("invalid " + ALIGNMENT_KEY + " " + alignment + " (must be a power of two)");
        }
        long dataOffset = align(r.position, alignment);
        for (GgufTensorInfo t : tensors.values()) {
            String quoted = Printable.quoted(t.name());
            if (t.offset() < 0 || t.offset() % alignment != 0) {
                throw r.error("tensor " + quoted + " offset " + t.offset() + " is not a non-negative multiple of the alignment " + alignment);
            }
            // Compared without adding, so that a huge offset cannot wrap around.
            long room = mapping.byteSize() - dataOffset;
            if (t.offset() > room || t.byteSize() > room - t.offset()) {
                throw r.error("tensor " + quoted + " (" + t.byteSize() + " bytes at offset " + t.offset() + " of the data from byte "
                        + dataOffset + ") ends past the end of the file of " + mapping.byteSize()
                        + " bytes; the file is truncated, download it again");
            }
        }
        return new GgufFile(path, arena, mapping, version, metadata, Collections.unmodifiableMap(tensors), dataOffset);
    }

    public static long align(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    public Map<String, GgufTensorInfo> tensors() {
        return tensors;
    }

    public List<GgufTensorInfo> tensorList() {
        return List.copyOf(tensors.values());
    }

    public boolean hasTensor(String name) {
        return tensors.containsKey(name);
    }

    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo info = tensors.get(name);
        if (info == null) {
            throw new InputException(path + ": missing tensor '" + name + "'; the file is incomplete or not of the architecture it declares");
        }
        return info;
    }

    /** The raw bytes of a tensor, a slice of the mapping (no copy). */
    public MemorySegment data(GgufTensorInfo info) {
        return mapping.asSlice(dataOffset + info.offset(), info.byteSize());
    }

    public MemorySegment data(String name) {
        return data(tensor(name));
    }

    /**
     * SHA-256 of the header (metadata and tensor table, everything before the tensor data): with the
     * file size, what identifies the model a saved KV cache was computed by.
     */
    public byte[] headerDigest() {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            sha.update(mapping.asSlice(0, Math.min(dataOffset, mapping.byteSize())).asByteBuffer());
            return sha.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    public long fileSize() {
        return mapping.byteSize();
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    /** Sequential little-endian reader over the mapping that reports truncation with the file name. */
    private static final class Reader {
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final Path path;
        private final MemorySegment seg;
        long position;

        Reader(Path path, MemorySegment seg) {
            this.path = path;
            this.seg = seg;
        }

        InputException error(String problem) {
            return new InputException(path + ": " + problem);
        }

        private void need(long bytes) {
            if (bytes > seg.byteSize() - position) {
                throw error("truncated: the header needs " + bytes + " more bytes at offset " + position
                        + " but the file has " + seg.byteSize() + " bytes; download the file again");
            }
        }

        int i32() {
            need(4);
            int v = seg.get(I32, position);
            position += 4;
            return v;
        }

        long i64() {
            need(8);
            long v = seg.get(I64, position);
            position += 8;
            return v;
        }

        /**
         * A 64-bit count of items of at least {@code minBytes} each that must fit in the remaining
         * bytes, checked before anything is allocated for them.
         */
        long count(String what, int minBytes) {
            long n = i64();
            if (n < 0 || n > (seg.byteSize() - position) / minBytes) {
                throw error("truncated or corrupt header: " + what + " " + Long.toUnsignedString(n)
                        + " cannot fit in a file of " + seg.byteSize() + " bytes; download the file again");
            }
            return n;
        }

        /** A key or tensor name: a string of at most {@link #MAX_NAME_BYTES} bytes. */
        String name(String what) {
            long at = position;
            long len = i64();
            if (len < 0 || len > MAX_NAME_BYTES) {
                throw error("corrupt header: " + what + " at offset " + at + " claims " + Long.toUnsignedString(len)
                        + " bytes (the limit is " + MAX_NAME_BYTES + "); download the file again");
            }
            position = at;
            return string();
        }

        String string() {
            long at = position;
            long len = i64();
            if (len < 0) {
                throw error("corrupt header: string at offset " + at + " claims " + Long.toUnsignedString(len) + " bytes");
            }
            need(len);
            if (len > Integer.MAX_VALUE - 8) {
                throw error("string of " + len + " bytes at offset " + position);
            }
            byte[] bytes = new byte[(int) len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, position, bytes, 0, bytes.length);
            position += len;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        GgufValue value(String key, GgufValueType type) {
            if (type == GgufValueType.ARRAY) {
                int elemId = i32();
                GgufValueType elem = GgufValueType.fromId(elemId);
                if (elem == null || elem == GgufValueType.ARRAY) {
                    throw error("metadata key " + Printable.quoted(key) + " is an array of unknown value type " + elemId);
                }
                long n = count("array length of " + Printable.quoted(key), elem.minBytes());
                if (n > Integer.MAX_VALUE - 8) {
                    throw error("metadata array " + Printable.quoted(key) + " is too long: " + n);
                }
                return GgufValue.array(elem, array(elem, (int) n));
            }
            return GgufValue.of(type, scalar(type));
        }

        Object scalar(GgufValueType type) {
            switch (type) {
                case UINT8: need(1); return Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, position++));
                case INT8: need(1); return (int) seg.get(ValueLayout.JAVA_BYTE, position++);
                case UINT16: { need(2); int v = Short.toUnsignedInt(seg.get(I16, position)); position += 2; return v; }
                case INT16: { need(2); int v = seg.get(I16, position); position += 2; return v; }
                case UINT32: return i32(); // callers that need the full unsigned range use getLong
                case INT32: return i32();
                case FLOAT32: { need(4); float v = seg.get(F32, position); position += 4; return v; }
                case BOOL: { need(1); return seg.get(ValueLayout.JAVA_BYTE, position++) != 0; }
                case STRING: return string();
                case UINT64, INT64: return i64();
                case FLOAT64: { need(8); double v = seg.get(F64, position); position += 8; return v; }
                default: throw new IllegalStateException(type.toString());
            }
        }

        Object array(GgufValueType elem, int n) {
            switch (elem) {
                case STRING: {
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) a[i] = string();
                    return a;
                }
                case FLOAT32: {
                    need(4L * n);
                    float[] a = new float[n];
                    MemorySegment.copy(seg, F32, position, a, 0, n);
                    position += 4L * n;
                    return a;
                }
                case INT32, UINT32: {
                    need(4L * n);
                    int[] a = new int[n];
                    MemorySegment.copy(seg, I32, position, a, 0, n);
                    position += 4L * n;
                    return a;
                }
                case UINT8, INT8, UINT16, INT16: {
                    int[] a = new int[n];
                    for (int i = 0; i < n; i++) a[i] = (Integer) scalar(elem);
                    return a;
                }
                case UINT64, INT64: {
                    long[] a = new long[n];
                    for (int i = 0; i < n; i++) a[i] = i64();
                    return a;
                }
                case FLOAT64: {
                    double[] a = new double[n];
                    for (int i = 0; i < n; i++) a[i] = (Double) scalar(elem);
                    return a;
                }
                case BOOL: {
                    boolean[] a = new boolean[n];
                    for (int i = 0; i < n; i++) a[i] = (Boolean) scalar(elem);
                    return a;
                }
                default: throw new IllegalStateException(elem.toString());
            }
        }
    }
}
