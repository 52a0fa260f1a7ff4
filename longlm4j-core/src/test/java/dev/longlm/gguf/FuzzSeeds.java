package dev.longlm.gguf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes the seed of {@link GgufFuzzTest}'s corpus: the smallest llama model this engine loads
 * (one block, width 8, an 8-token SentencePiece vocabulary, F16 weights from a fixed seed), small
 * enough for the fuzzer's 4096-byte inputs. Run: {@code java ... dev.longlm.gguf.FuzzSeeds DIR}.
 */
public final class FuzzSeeds {
    static final int DIM = 8;
    static final int FFN = 16;
    static final int KV_DIM = 4;
    static final String[] TOKENS = {"<unk>", "<s>", "</s>", "\u2581a", "a", "b", "\u2581", "c"};

    private FuzzSeeds() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        tinyLlama().write(dir.resolve("tiny-llama.gguf"));
    }

    static GgufWriter tinyLlama() {
        Random random = new Random(17);
        GgufWriter w = new GgufWriter()
                .put("general.architecture", GgufValue.string("llama"))
                .put("llama.embedding_length", GgufValue.uint32(DIM))
                .put("llama.block_count", GgufValue.uint32(1))
                .put("llama.attention.head_count", GgufValue.uint32(2))
                .put("llama.attention.head_count_kv", GgufValue.uint32(1))
                .put("llama.feed_forward_length", GgufValue.uint32(FFN))
                .put("llama.context_length", GgufValue.uint32(64))
                .put("llama.rope.freq_base", GgufValue.float32(10000f))
                .put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(1e-5f))
                .put("tokenizer.ggml.model", GgufValue.string("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.strings(TOKENS))
                .put("tokenizer.ggml.scores", GgufValue.floats(0, 0, 0, -1, -2, -3, -4, -5))
                .put("tokenizer.ggml.token_type", GgufValue.int32s(2, 3, 3, 1, 1, 1, 1, 1));
        matrix(w, random, "token_embd.weight", DIM, TOKENS.length);
        vector(w, "blk.0.attn_norm.weight", DIM);
        matrix(w, random, "blk.0.attn_q.weight", DIM, DIM);
        matrix(w, random, "blk.0.attn_k.weight", DIM, KV_DIM);
        matrix(w, random, "blk.0.attn_v.weight", DIM, KV_DIM);
        matrix(w, random, "blk.0.attn_output.weight", DIM, DIM);
        vector(w, "blk.0.ffn_norm.weight", DIM);
        matrix(w, random, "blk.0.ffn_gate.weight", DIM, FFN);
        matrix(w, random, "blk.0.ffn_up.weight", DIM, FFN);
        matrix(w, random, "blk.0.ffn_down.weight", FFN, DIM);
        vector(w, "output_norm.weight", DIM);
        return w;
    }

    private static void matrix(GgufWriter w, Random random, String name, int cols, int rows) {
        byte[] halves = new byte[2 * cols * rows];
        for (int i = 0; i < cols * rows; i++) {
            short h = Float.floatToFloat16((float) random.nextGaussian() * 0.1f);
            halves[2 * i] = (byte) h;
            halves[2 * i + 1] = (byte) (h >> 8);
        }
        w.addTensor(name, new long[]{cols, rows}, GgmlType.F16, GgufWriter.TensorData.of(halves));
    }

    private static void vector(GgufWriter w, String name, int length) {
        float[] ones = new float[length];
        java.util.Arrays.fill(ones, 1f);
        w.addTensor(name, new long[]{length}, ones);
    }
}
