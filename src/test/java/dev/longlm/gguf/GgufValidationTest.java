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
}
