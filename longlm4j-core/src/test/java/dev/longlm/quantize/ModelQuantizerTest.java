package dev.longlm.quantize;

import dev.longlm.InputException;
import dev.longlm.gguf.GgmlType;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;
import dev.longlm.gguf.GgufValue;
import dev.longlm.gguf.GgufWriter;
import dev.longlm.backend.cpu.Quantizer;
import dev.longlm.backend.cpu.WeightMatrices;
import dev.longlm.backend.cpu.WeightMatrix;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Quantizes a small random 8-layer llama-shaped F32 model (tied embeddings) written by {@link GgufWriter}. */
class ModelQuantizerTest {
    private static final int LAYERS = 8;

    @TempDir
    Path dir;

    private Path source;
    private final Map<String, float[]> values = new HashMap<>();

    @BeforeEach
    void writeModel() throws IOException {
        Random rnd = new Random(42);
        GgufWriter w = new GgufWriter()
                .put("general.architecture", GgufValue.string("llama"))
                .put("llama.block_count", GgufValue.uint32(LAYERS))
                .put("general.file_type", GgufValue.uint32(0))
                .put("tokenizer.ggml.tokens", GgufValue.strings("a", "b"));
        add(w, rnd, "token_embd.weight", 256, 16);
        add(w, rnd, "output_norm.weight", 256);
        for (int i = 0; i < LAYERS; i++) {
            add(w, rnd, "blk." + i + ".attn_norm.weight", 256);
            add(w, rnd, "blk." + i + ".attn_v.weight", 256, 8);
            add(w, rnd, "blk." + i + ".ffn_down.weight", 96, 8); // 96: no whole 256-blocks
        }
        add(w, rnd, "blk.0.odd.weight", 40, 2); // 40: not even whole 32-blocks
        source = dir.resolve("model-f32.gguf");
        w.write(source);
    }

    private void add(GgufWriter w, Random rnd, String name, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian() * 0.1f;
        }
        values.put(name, v);
        w.addTensor(name, shape, v);
    }

    private static boolean moreBits(int layer) {
        return layer == 0 || layer == 3 || layer == 6 || layer == 7; // use_more_bits for 8 layers
    }

    @Test
    void q4KMFollowsLlamaCppMixAndStaysClose() throws IOException {
        Path out = dir.resolve("model-q4_k_m.gguf");
        long[] lastProgress = {0, -1};
        List<ModelQuantizer.TensorResult> results = ModelQuantizer.quantize(source, out, QuantTarget.Q4_K_M, 2,
                (done, total) -> {
                    assertTrue(done >= lastProgress[0] && done <= total);
                    lastProgress[0] = done;
                    lastProgress[1] = total;
                });
        assertEquals(lastProgress[1], lastProgress[0], "progress reaches the total");
        try (GgufFile q = GgufFile.open(out)) {
            assertEquals(15, q.metadata().getInt("general.file_type"));
            assertEquals(LAYERS, q.metadata().getInt("llama.block_count"));
            assertArrayEquals(new String[]{"a", "b"}, q.metadata().getStrings("tokenizer.ggml.tokens").orElseThrow());
            assertEquals(GgmlType.Q6_K, q.tensor("token_embd.weight").type(), "tied embeddings get the output type");
            assertEquals(GgmlType.F32, q.tensor("output_norm.weight").type());
            assertEquals(GgmlType.F16, q.tensor("blk.0.odd.weight").type());
            for (int i = 0; i < LAYERS; i++) {
                assertEquals(GgmlType.F32, q.tensor("blk." + i + ".attn_norm.weight").type());
                assertEquals(moreBits(i) ? GgmlType.Q6_K : GgmlType.Q4_K, q.tensor("blk." + i + ".attn_v.weight").type(), "attn_v " + i);
                // Q6_K and Q4_K need 256-blocks; llama.cpp falls back to Q8_0 and Q5_0
                assertEquals(moreBits(i) ? GgmlType.Q8_0 : GgmlType.Q5_0, q.tensor("blk." + i + ".ffn_down.weight").type(), "ffn_down " + i);
            }
            for (ModelQuantizer.TensorResult r : results) {
                assertEquals(q.tensor(r.name()).type(), r.to());
                assertEquals(GgmlType.F32, r.from());
                assertClose(q, r.name(), r.to());
            }
            // norms are copied bit for bit
            assertArrayEquals(values.get("output_norm.weight"),
                    q.data("output_norm.weight").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
            // weights are exactly what the Quantizer makes of the source rows
            assertArrayEquals(Quantizer.quantize(GgmlType.Q4_K, values.get("blk.1.attn_v.weight")),
                    q.data("blk.1.attn_v.weight").toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /** Dequantized tensor vs the source: RMS error small relative to the values' RMS for the type. */
    private void assertClose(GgufFile q, String name, GgmlType type) {
        GgufTensorInfo t = q.tensor(name);
        float[] src = values.get(name);
        float[] got = new float[src.length];
        if (t.shape().length == 1) {
            got = q.data(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
        } else {
            WeightMatrix m = WeightMatrices.of(q, t);
            for (int r = 0; r < m.rows(); r++) {
                m.dequantizeRow(r, got, r * m.cols());
            }
        }
        double err = 0;
        double norm = 0;
        for (int i = 0; i < src.length; i++) {
            err += (got[i] - src[i]) * (double) (got[i] - src[i]);
            norm += src[i] * (double) src[i];
        }
        double relative = Math.sqrt(err / norm);
        double limit = switch (type) {
            case F32 -> 0;
            case F16, BF16, Q8_0 -> 0.01;
            case Q6_K, Q5_0, Q5_1, Q5_K -> 0.05;
            default -> 0.12;
        };
        assertTrue(relative <= limit, name + " as " + type + ": relative RMS error " + relative);
    }

    @Test
    void q8_0KeepsOutputAtQ8AndConvertsFromF16Source() throws IOException {
        Path f16 = dir.resolve("model-f16.gguf");
        ModelQuantizer.quantize(source, f16, QuantTarget.F16, 1, ModelQuantizer.Progress.NONE);
        try (GgufFile h = GgufFile.open(f16)) {
            assertEquals(1, h.metadata().getInt("general.file_type"));
            assertEquals(GgmlType.F16, h.tensor("token_embd.weight").type());
            assertEquals(GgmlType.F32, h.tensor("output_norm.weight").type());
        }
        Path q8 = dir.resolve("model-q8_0.gguf");
        ModelQuantizer.quantize(f16, q8, QuantTarget.Q8_0, 2, ModelQuantizer.Progress.NONE);
        try (GgufFile q = GgufFile.open(q8)) {
            assertEquals(7, q.metadata().getInt("general.file_type"));
            assertEquals(GgmlType.Q8_0, q.tensor("token_embd.weight").type());
            assertEquals(GgmlType.Q8_0, q.tensor("blk.3.attn_v.weight").type());
            assertEquals(GgmlType.Q8_0, q.tensor("blk.3.ffn_down.weight").type());
            for (String name : values.keySet()) {
                assertClose(q, name, q.tensor(name).type());
            }
        }
    }

    @Test
    void refusesToRequantize() throws IOException {
        Path q4 = dir.resolve("q4.gguf");
        ModelQuantizer.quantize(source, q4, QuantTarget.Q4_0, 1, ModelQuantizer.Progress.NONE);
        InputException e = assertThrows(InputException.class,
                () -> ModelQuantizer.quantize(q4, dir.resolve("again.gguf"), QuantTarget.Q8_0, 1, ModelQuantizer.Progress.NONE));
        assertTrue(e.getMessage().contains("already"), e.getMessage());
    }

    @Test
    void parsesTargetNames() {
        assertEquals(QuantTarget.Q4_K_M, QuantTarget.parse("q4_k"));
        assertEquals(QuantTarget.Q4_K_M, QuantTarget.parse("Q4_K_M"));
        assertEquals(QuantTarget.BF16, QuantTarget.parse("bf16"));
        InputException e = assertThrows(InputException.class, () -> QuantTarget.parse("q3_k"));
        assertTrue(e.getMessage().contains("Q6_K"), e.getMessage());
    }
}
