package dev.longlm.generate;

import dev.longlm.InputException;
import dev.longlm.OutputFile;
import dev.longlm.Printable;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvArray;
import dev.longlm.backend.KvElement;
import dev.longlm.backend.KvShape;
import dev.longlm.backend.KvStore;
import dev.longlm.model.Model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * A KV store's contents in a file, so that a long prompt read once can be continued after a restart
 * (the server's {@code /slots/{id}?action=save|restore}, the CLI's {@code --prompt-cache}). The header
 * names what the keys are only valid for — the model file (size and SHA-256 of its GGUF header), the
 * position scheme and RoPE ({@link Session#schemeKey}), the element type and shape of the store — and
 * the token ids; loading refuses any mismatch, and a short or altered file, with one line. Files are
 * written through {@link OutputFile}: a crash never leaves a partial file under the target's name.
 *
 * <p>Layout (little-endian): magic {@code LONGLMKV}, version, model size, model digest (32 bytes),
 * model name, scheme key, method description, element type, layers, KV heads, head size, positions n,
 * first true-position key t, window W, n token ids; then per layer keys and values of positions
 * {@code [0, n)} and the true-position keys of {@code [t, n)}, each head-major
 * ({@code [kvHead][position][headDim]}); last a CRC-32C of everything before it.
 */
public final class KvCacheFile {
    private static final byte[] MAGIC = "LONGLMKV".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    /**
     * A file's header, checked against the model that reads it.
     *
     * @param description the method's description, for messages ("self-extend G16 W64")
     */
    public record Header(String modelName, long modelSize, byte[] modelDigest, String schemeKey, String description,
                         KvElement element, int layers, int kvHeads, int headDim, CachedTokens cached, long dataOffset) {
        public int positions() {
            return cached.length();
        }

        /** Bytes of the whole file this header describes, its checksum included. */
        long expectedFileSize() {
            long row = (long) kvHeads * headDim * element.bytes();
            long trueKeys = cached.length() - cached.trueKeysFrom();
            return dataOffset + layers * row * (2L * cached.length() + trueKeys) + Integer.BYTES;
        }
    }

    private KvCacheFile() {
    }

    /**
     * Writes what {@code store} holds — {@code cached} tells its tokens, scheme and ring reach — for
     * {@code model}. {@code description} names the method in messages.
     */
    public static void save(Path file, Model model, Backend backend, KvStore store, CachedTokens cached, String description) {
        if (cached.schemeKey() == null) {
            throw new InputException(description + " re-computes its keys as the input grows (dynamic NTK, llama.cpp's"
                    + " regrouping): its KV cache cannot be saved for later; use another context method");
        }
        KvShape shape = store.shape();
        int n = cached.length();
        if (n > store.length()) {
            throw new IllegalArgumentException(n + " cached tokens but the store holds " + store.length());
        }
        ByteBuffer header = header(model, shape, store.element(), cached, description);
        OutputFile.replace(file, temporary -> {
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 Arena arena = Arena.ofConfined()) {
                CRC32C crc = new CRC32C();
                write(out, header, crc);
                MemorySegment host = arena.allocate(Math.max(1, (long) n * shape.kvDim() * store.element().bytes()), 64);
                for (int layer = 0; layer < shape.layers(); layer++) {
                    for (KvArray array : new KvArray[]{KvArray.KEYS, KvArray.VALUES}) {
                        MemorySegment part = host.asSlice(0, (long) n * shape.kvDim() * store.element().bytes());
                        backend.readKv(store, array, layer, 0, n, part);
                        write(out, part.asByteBuffer(), crc);
                    }
                    write(out, ringCopy(backend, store, layer, cached.trueKeysFrom(), n, host, arena, true).asByteBuffer(), crc);
                }
                ByteBuffer trailer = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue()).flip();
                while (trailer.hasRemaining()) {
                    out.write(trailer);
                }
                out.force(true);
            }
        });
    }

    /**
     * Reads and checks the header of {@code file} for {@code model} (its identity; and when {@code element}
     * is not null the element type of the store that will receive it): wrong model, wrong element type, a file that is not
     * one or is truncated are {@link InputException}s that say what to do.
     */
    public static Header readHeader(Path file, Model model, KvElement element) {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            ByteBuffer start = ByteBuffer.allocate((int) Math.min(size, 1 << 16)).order(ByteOrder.LITTLE_ENDIAN);
            readFully(in, start, 0);
            start.flip();
            Header header = parseHeader(file, start, in, size);
            checkFor(file, header, model);
            if (element != null) {
                requireElement(file, header, element);
            }
            if (size != header.expectedFileSize()) {
                throw new InputException(file + ": truncated or padded KV cache file: " + size + " bytes, its header describes "
                        + header.expectedFileSize() + "; save it again");
            }
            return header;
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such KV cache file");
        } catch (IOException e) {
            throw new InputException(file + ": cannot read the KV cache file: " + Printable.escaped(String.valueOf(e.getMessage()), 200));
        }
    }

    /**
     * Loads a file whose header was read into {@code store} (at least {@link Header#positions} positions),
     * with a ring of {@code ringSlots} (0, or at least the file's window), checking the checksum before the
     * store is marked as holding anything. Returns what the store then holds.
     */
    public static CachedTokens load(Path file, Header header, Backend backend, KvStore store, int ringSlots) {
        CachedTokens cached = header.cached();
        int n = cached.length();
        KvShape shape = store.shape();
        if (shape.capacity() < n || (cached.window() > 0) != (ringSlots > 0) || ringSlots > 0 && ringSlots < cached.window()) {
            throw new IllegalArgumentException("a store of " + shape.capacity() + " positions and " + ringSlots
                    + " ring slots for " + n + " cached positions, window " + cached.window());
        }
        store.reset(ringSlots);
        // The ring keeps the file's last ringSlots true-position keys at most.
        int trueKeysFrom = ringSlots == 0 ? n : Math.max(cached.trueKeysFrom(), n - ringSlots);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            CRC32C crc = new CRC32C();
            ByteBuffer head = ByteBuffer.allocate((int) header.dataOffset());
            readFully(in, head, 0);
            crc.update(head.flip());
            long at = header.dataOffset();
            long rowBytes = (long) shape.kvDim() * store.element().bytes();
            MemorySegment host = arena.allocate(Math.max(1, n * rowBytes), 64);
            for (int layer = 0; layer < shape.layers(); layer++) {
                for (KvArray array : new KvArray[]{KvArray.KEYS, KvArray.VALUES}) {
                    MemorySegment part = host.asSlice(0, n * rowBytes);
                    at = readPart(in, part, at, crc);
                    backend.writeKv(store, array, layer, 0, n, part);
                }
                MemorySegment trueKeys = host.asSlice(0, (n - cached.trueKeysFrom()) * rowBytes);
                at = readPart(in, trueKeys, at, crc);
                if (ringSlots > 0) {
                    // Skip the keys the ring has no slot for; the rest go to their slots.
                    MemorySegment kept = arena.allocate(Math.max(1, (n - trueKeysFrom) * rowBytes), 64);
                    copyHeads(trueKeys, n - cached.trueKeysFrom(), trueKeysFrom - cached.trueKeysFrom(), kept, n - trueKeysFrom, 0,
                            n - trueKeysFrom, shape.kvHeads(), shape.headDim() * store.element().bytes());
                    ringCopy(backend, store, layer, trueKeysFrom, n, kept, arena, false);
                }
            }
            ByteBuffer trailer = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(in, trailer, at);
            if (trailer.flip().getInt() != (int) crc.getValue()) {
                store.reset(ringSlots);
                throw new InputException(file + ": the KV cache file is corrupt (checksum mismatch); save it again");
            }
        } catch (IOException e) {
            store.reset(ringSlots);
            throw new InputException(file + ": cannot read the KV cache file: " + Printable.escaped(String.valueOf(e.getMessage()), 200));
        }
        store.setLength(n);
        return new CachedTokens(cached.tokens(), cached.schemeKey(), trueKeysFrom, cached.window());
    }

    /** One line naming what a file was made for when it is not {@code schemeKey} (a CLI run's fixed method). */
    public static void requireScheme(Path file, Header header, String schemeKey, String description) {
        if (!header.schemeKey().equals(schemeKey)) {
            throw new InputException(file + ": this KV cache was computed under " + Printable.quoted(header.description())
                    + ", this run uses " + Printable.quoted(description) + " (or another RoPE); run with the same context method"
                    + " or delete the file");
        }
    }

    private static ByteBuffer header(Model model, KvShape shape, KvElement element, CachedTokens cached, String description) {
        byte[] name = model.file().path().getFileName().toString().getBytes(StandardCharsets.UTF_8);
        byte[] key = cached.schemeKey().getBytes(StandardCharsets.UTF_8);
        byte[] what = description.getBytes(StandardCharsets.UTF_8);
        int n = cached.length();
        long bytes = MAGIC.length + 4 + 8 + 32 + 3 * 4L + name.length + key.length + what.length + 1 + 6 * 4 + 4L * n;
        if (bytes > Integer.MAX_VALUE) {
            throw new InputException("a KV cache of " + n + " positions is too large to save");
        }
        ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putLong(model.file().fileSize()).put(model.file().headerDigest());
        b.putInt(name.length).put(name).putInt(key.length).put(key).putInt(what.length).put(what);
        b.put((byte) element.ordinal()).putInt(shape.layers()).putInt(shape.kvHeads()).putInt(shape.headDim());
        b.putInt(n).putInt(cached.trueKeysFrom()).putInt(cached.window());
        for (int t : cached.tokens()) {
            b.putInt(t);
        }
        return b.flip();
    }

    private static Header parseHeader(Path file, ByteBuffer b, FileChannel in, long size) throws IOException {
        String notOne = file + ": not a longlm KV cache file";
        try {
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new InputException(notOne + " (no LONGLMKV magic); give a file saved by longlm");
            }
            int version = b.getInt();
            if (version != VERSION) {
                throw new InputException(file + ": KV cache file version " + version + ", this longlm reads " + VERSION + "; save it again");
            }
            long modelSize = b.getLong();
            byte[] digest = new byte[32];
            b.get(digest);
            String name = string(b, 4096);
            String key = string(b, 1 << 15);
            String description = string(b, 4096);
            int elementId = b.get();
            if (elementId < 0 || elementId >= KvElement.values().length) {
                throw new InputException(notOne + " (unknown element type " + elementId + ")");
            }
            int layers = b.getInt();
            int kvHeads = b.getInt();
            int headDim = b.getInt();
            int n = b.getInt();
            int trueKeysFrom = b.getInt();
            int window = b.getInt();
            if (layers < 1 || kvHeads < 1 || headDim < 1 || n < 1 || trueKeysFrom < 0 || trueKeysFrom > n || window < 0) {
                throw new InputException(notOne + " (invalid shape in its header)");
            }
            long tokensEnd = (long) b.position() + 4L * n;
            if (tokensEnd > size) {
                throw new InputException(file + ": truncated KV cache file: " + size + " bytes, its " + n + " token ids alone need "
                        + tokensEnd + "; save it again");
            }
            ByteBuffer tokens = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            readFully(in, tokens, b.position());
            int[] ids = new int[n];
            tokens.flip().asIntBuffer().get(ids);
            return new Header(name, modelSize, digest, key, description, KvElement.values()[elementId], layers, kvHeads, headDim,
                    new CachedTokens(ids, key, trueKeysFrom, window), tokensEnd);
        } catch (java.nio.BufferUnderflowException e) {
            throw new InputException(file + ": truncated KV cache file (" + size + " bytes, its header is cut short); save it again");
        }
    }

    private static void checkFor(Path file, Header h, Model model) {
        byte[] digest = model.file().headerDigest();
        if (h.modelSize() != model.file().fileSize() || !Arrays.equals(h.modelDigest(), digest)) {
            throw new InputException(file + ": this KV cache was computed by another model (" + Printable.quoted(h.modelName()) + ", "
                    + h.modelSize() + " bytes, header " + HexFormat.of().formatHex(h.modelDigest(), 0, 6) + "…), not "
                    + model.file().path().getFileName() + " (" + model.file().fileSize() + " bytes, header "
                    + HexFormat.of().formatHex(digest, 0, 6) + "…); use that model or delete the file");
        }
        var config = model.config();
        if (h.layers() != config.layers() || h.kvHeads() != config.kvHeads() || h.headDim() != config.headDim()) {
            throw new InputException(file + ": the KV cache's shape does not match the model; delete the file");
        }
    }

    /** Refuses a file whose keys and values are not of the {@code element} type a store keeps. */
    public static void requireElement(Path file, Header h, KvElement element) {
        if (h.element() != element) {
            throw new InputException(file + ": this KV cache holds " + h.element() + " keys and values, this backend keeps "
                    + element + " (--kv-type); run with --kv-type " + h.element().name().toLowerCase(java.util.Locale.ROOT)
                    + " or delete the file");
        }
    }

    private static String string(ByteBuffer b, int most) {
        int length = b.getInt();
        if (length < 0 || length > most || length > b.remaining()) {
            throw new java.nio.BufferUnderflowException();
        }
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * The true-position keys of positions {@code [from, to)} between the ring of {@code layer} (slot
     * {@code j % slots}, in up to two runs when they wrap) and {@code canonical}, head-major over those
     * positions in order.
     */
    private static MemorySegment ringCopy(Backend backend, KvStore store, int layer, int from, int to, MemorySegment canonical,
                                          Arena arena, boolean toHost) {
        KvShape shape = store.shape();
        int count = to - from;
        long headRow = (long) shape.headDim() * store.element().bytes();
        MemorySegment whole = canonical.asSlice(0, count * headRow * shape.kvHeads());
        int slots = shape.ringSlots();
        if (count == 0) {
            return whole;
        }
        for (int done = 0; done < count; ) {
            int slot = (from + done) % slots;
            int run = Math.min(count - done, slots - slot);
            MemorySegment part = arena.allocate(run * headRow * shape.kvHeads(), 64);
            if (toHost) {
                backend.readKv(store, KvArray.RING, layer, slot, run, part);
                copyHeads(part, run, 0, whole, count, done, run, shape.kvHeads(), headRow);
            } else {
                copyHeads(whole, count, done, part, run, 0, run, shape.kvHeads(), headRow);
                backend.writeKv(store, KvArray.RING, layer, slot, run, part);
            }
            done += run;
        }
        return whole;
    }

    /** Rows {@code [fromRow, +rows)} of each head of a head-major block of {@code fromRows} rows into another. */
    private static void copyHeads(MemorySegment from, int fromRows, int fromRow, MemorySegment to, int toRows, int toRow, int rows,
                                  int heads, long rowBytes) {
        for (int h = 0; h < heads; h++) {
            MemorySegment.copy(from, (h * (long) fromRows + fromRow) * rowBytes, to, (h * (long) toRows + toRow) * rowBytes,
                    rows * rowBytes);
        }
    }

    private static void write(FileChannel out, ByteBuffer bytes, CRC32C crc) throws IOException {
        crc.update(bytes.duplicate());
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    private static long readPart(FileChannel in, MemorySegment part, long at, CRC32C crc) throws IOException {
        ByteBuffer buffer = part.asByteBuffer();
        readFully(in, buffer, at);
        crc.update(buffer.flip());
        return at + part.byteSize();
    }

    private static void readFully(FileChannel in, ByteBuffer buffer, long at) throws IOException {
        while (buffer.hasRemaining()) {
            int read = in.read(buffer, at);
            if (read < 0) {
                throw new IOException("the file ends early");
            }
            at += read;
        }
    }

    /** Whether {@code file} exists (the CLI's --prompt-cache reads it when it does, else creates it). */
    public static boolean exists(Path file) {
        return Files.isRegularFile(file);
    }
}
