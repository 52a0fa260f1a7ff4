package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;
import dev.longlm.gguf.GgufValue;
import dev.longlm.gguf.GgufValueType;
import dev.longlm.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bundled model rewritten with one hyper-parameter changed to a value the forward pass cannot
 * use: loading fails with an InputException naming the key (issue 17, defect 4), never a division
 * by zero, a negative array size or a model that loads.
 */
class HostileMetadataTest {
    static final Path MODEL = Path.of("models/pd-llama-13m-ctx256-f16.gguf");

    @TempDir
    Path dir;

    /** A copy of the bundled model with {@code key} set to {@code value} (tensors copied unchanged). */
    static Path withMetadata(Path dir, String key, GgufValue value) throws IOException {
        Path out = dir.resolve("edited.gguf");
        try (GgufFile in = GgufFile.open(MODEL)) {
            GgufWriter writer = new GgufWriter().putAll(in.metadata().asMap()).put(key, value);
            for (GgufTensorInfo t : in.tensorList()) {
                writer.addTensor(t.name(), t.shape(), t.type(), GgufWriter.TensorData.of(in.data(t)));
            }
            writer.write(out);
        }
        return out;
    }

    private InputException loadFails(String key, GgufValue value) throws IOException {
        Path file = withMetadata(dir, key, value);
        InputException e = assertThrows(InputException.class, () -> Model.load(file).close());
        assertTrue(e.getMessage().contains("'" + key + "'"), "names the key: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(file.toString()), "names the file: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
            "llama.attention.head_count, 0",
            "llama.attention.head_count_kv, 0",
            "llama.attention.head_count_kv, 3",
            "llama.block_count, -1",
            "llama.block_count, 2147483647",
            "llama.block_count, 0",
            "llama.rope.dimension_count, -2",
            "llama.context_length, 0",
            "llama.context_length, 1",
            "llama.context_length, 2147483647",
            "llama.embedding_length, 0",
            "llama.feed_forward_length, -5",
            "llama.attention.key_length, 0",
    })
    void integerOutOfRange(String key, int value) throws IOException {
        loadFails(key, GgufValue.of(GgufValueType.INT32, value));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
            "llama.rope.freq_base, NaN",
            "llama.rope.freq_base, Infinity",
            "llama.rope.freq_base, 0",
            "llama.rope.freq_base, -10000",
            "llama.attention.layer_norm_rms_epsilon, NaN",
            "llama.attention.layer_norm_rms_epsilon, 0",
            "llama.attention.layer_norm_rms_epsilon, -1e-5",
            "llama.attention.layer_norm_rms_epsilon, Infinity",
            "llama.rope.scaling.factor, NaN",
            "llama.rope.scaling.factor, -2",
    })
    void floatOutOfRange(String key, float value) throws IOException {
        loadFails(key, GgufValue.float32(value));
    }

    @Test
    void floatTypedIntegerKey() throws IOException {
        InputException e = loadFails("llama.context_length", GgufValue.float32(256.5f));
        assertTrue(e.getMessage().contains("FLOAT32"), e.getMessage());
    }

    @Test
    void unsignedCountAboveTheIntRange() throws IOException {
        // UINT32 0xFFFFFFFF is 4294967295, not -1.
        InputException e = loadFails("llama.block_count", GgufValue.uint32(-1));
        assertTrue(e.getMessage().contains("4294967295"), e.getMessage());
    }

    @Test
    void theUneditedCopyLoads() throws IOException {
        Path file = withMetadata(dir, "general.name", GgufValue.string("copy"));
        try (Model model = Model.load(file)) {
            assertEquals(256, model.config().contextLength());
            assertEquals("copy", model.config().name());
        }
    }
}
