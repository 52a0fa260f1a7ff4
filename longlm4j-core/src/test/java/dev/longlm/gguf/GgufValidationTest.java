package dev.longlm.gguf;

import dev.longlm.InputException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Corrupt files (a valid file from {@link GgufWriter}, then byte edits) must fail with a clear message. */
class GgufValidationTest {
    @TempDir
    Path dir;

    private byte[] valid;

    @BeforeEach
    void writeValidFile() throws IOException {
        Path file = dir.resolve("valid.gguf");
        new GgufWriter()
                .put("general.architecture", GgufValue.string("llama"))
                .addTensor("blk.0.ffn.weight", new long[]{32, 2}, GgmlType.Q8_0, GgufWriter.TensorData.of(new byte[68]))
                .write(file);
        valid = Files.readAllBytes(file);
        try (GgufFile ok = GgufFile.open(file)) {
            assertTrue(ok.hasTensor("blk.0.ffn.weight"));
        }
    }

    private InputException openFails(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        InputException e = assertThrows(InputException.class, () -> GgufFile.open(file).close());
        assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    private static void assertMentions(InputException e, String... words) {
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + w + "' in: " + e.getMessage());
        }
    }

    /** Offset of the first occurrence of {@code ascii} in the file. */
    private int indexOf(String ascii) {
        byte[] needle = ascii.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + needle.length <= valid.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (valid[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError(ascii + " not in file");
    }

    @Test
    void truncatedHeader() throws IOException {
        int cut = indexOf("general.architecture") + 5;
        assertMentions(openFails("truncated.gguf", Arrays.copyOf(valid, cut)), "truncated");
    }

    @Test
    void badMagic() throws IOException {
        byte[] bytes = valid.clone();
        bytes[0] = 'X';
        assertMentions(openFails("magic.gguf", bytes), "magic");
    }

    @Test
    void unknownValueType() throws IOException {
        byte[] bytes = valid.clone();
        int typeAt = indexOf("general.architecture") + "general.architecture".length();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(typeAt, 99);
        assertMentions(openFails("valuetype.gguf", bytes), "unknown value type 99", "general.architecture");
    }

    @Test
    void tensorDataPastEndOfFile() throws IOException {
        assertMentions(openFails("short.gguf", Arrays.copyOf(valid, valid.length - 40)), "blk.0.ffn.weight", "truncated");
    }

    @Test
    void shapeNotMultipleOfBlockSize() throws IOException {
        byte[] bytes = valid.clone();
        int dimsAt = indexOf("blk.0.ffn.weight") + "blk.0.ffn.weight".length() + 4; // after n_dims
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(dimsAt, 48);
        assertMentions(openFails("shape.gguf", bytes), "blk.0.ffn.weight", "48", "block size 32");
    }

    /** A string array claiming 2^31 - 9 elements in a file of a few hundred bytes: refused before allocating. */
    @Test
    void hugeArrayLengthIsRefusedBeforeAllocation() throws IOException {
        Path file = dir.resolve("array.gguf");
        new GgufWriter()
                .put("general.architecture", GgufValue.string("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.strings("a", "b"))
                .write(file);
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        int lengthAt = indexOf(bytes, "tokenizer.ggml.tokens") + "tokenizer.ggml.tokens".length() + 4 + 4; // type, element type
        for (long n : new long[]{Integer.MAX_VALUE - 9L, Integer.MAX_VALUE + 1L, -1L, 40}) {
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(lengthAt, n);
            assertMentions(openFails("array" + n + ".gguf", bytes), "array length", "tokenizer.ggml.tokens", "cannot fit");
        }
    }

    @Test
    void keyLongerThanTheSpecificationAllows() throws IOException {
        byte[] bytes = valid.clone();
        int lengthAt = indexOf("general.architecture") - 8;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(lengthAt, 11_500_000L);
        InputException e = openFails("longkey.gguf", bytes);
        assertMentions(e, "metadata key", "11500000", "65535");
    }

    /** Bytes of the file shown in a message are escaped and cut: no terminal control sequence gets through. */
    @Test
    void controlCharactersInNamesAreEscapedAndCut() throws IOException {
        Path file = dir.resolve("escape.gguf");
        String hostile = "\u001b[2J\u001b]0;pwned\u0007" + "x".repeat(5000);
        new GgufWriter().put(hostile, GgufValue.string("v")).write(file);
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        int typeAt = indexOf(bytes, "xxxxx") + 5000;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(typeAt, 77);
        InputException e = openFails("escape2.gguf", bytes);
        assertMentions(e, "unknown value type 77", "\\x1b[2J", "more characters");
        assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20), e.getMessage());
        assertTrue(e.getMessage().length() < 400, e.getMessage());
    }

    @Test
    void fifoIsRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("model.gguf");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is not available");
        InputException e = assertThrows(InputException.class, () -> GgufFile.open(fifo).close());
        assertMentions(e, "not a regular file");
    }

    @Test
    void tensorOffsetThatWouldWrapAround() throws IOException {
        byte[] bytes = valid.clone();
        int offsetAt = indexOf("blk.0.ffn.weight") + "blk.0.ffn.weight".length() + 4 + 16 + 4; // dims, shape, type
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(offsetAt, Long.MAX_VALUE - 31);
        assertMentions(openFails("wrap.gguf", bytes), "blk.0.ffn.weight", "truncated");
    }

    private static int indexOf(byte[] haystack, String ascii) {
        byte[] needle = ascii.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError(ascii + " not in file");
    }
}
