package dev.longlm.bench;

import dev.longlm.InputException;
import dev.longlm.gguf.GgmlType;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufValue;
import dev.longlm.gguf.GgufWriter;
import dev.longlm.tensor.HalfFloat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a {@link BenchmarkModel} as an F16 GGUF file with random weights (Gaussian, σ = 0.02, as
 * initialised before training) and all-ones norms, plus the tokenizer metadata of a vocabulary GGUF
 * (llama.cpp's {@code ggml-vocab-llama-bpe.gguf} for the Llama 3 shape) so that llama.cpp loads it.
 * Each tensor is generated while it is written, so memory stays small for a multi-gigabyte file.
 */
public final class BenchmarkModelWriter {
    /** Random halves are drawn from a table of this many precomputed Gaussian values: fast, and values do not matter. */
    private static final int TABLE_SIZE = 1 << 16;
    private static final int CHUNK_VALUES = 1 << 20;

    private BenchmarkModelWriter() {
    }

    public static void write(BenchmarkModel m, Path vocabulary, Path out, long seed) throws IOException {
        GgufWriter w = new GgufWriter();
        String p = "llama.";
        w.put("general.architecture", GgufValue.string("llama"));
        w.put("general.name", GgufValue.string(m.name() + " random weights"));
        w.put("general.file_type", GgufValue.uint32(1));
        w.put(p + "context_length", GgufValue.uint32(m.contextLength()));
        w.put(p + "embedding_length", GgufValue.uint32(m.dim()));
        w.put(p + "block_count", GgufValue.uint32(m.layers()));
        w.put(p + "feed_forward_length", GgufValue.uint32(m.ffn()));
        w.put(p + "attention.head_count", GgufValue.uint32(m.heads()));
        w.put(p + "attention.head_count_kv", GgufValue.uint32(m.kvHeads()));
        w.put(p + "rope.dimension_count", GgufValue.uint32(m.headDim()));
        w.put(p + "rope.freq_base", GgufValue.float32(m.ropeBase()));
        w.put(p + "attention.layer_norm_rms_epsilon", GgufValue.float32(1e-5f));
        w.put(p + "vocab_size", GgufValue.uint32(m.vocab()));
        int vocabTokens = copyTokenizer(vocabulary, w);
        if (vocabTokens != m.vocab()) {
            throw new InputException(vocabulary + " has " + vocabTokens + " tokens but the model shape needs " + m.vocab());
        }
        short[] table = gaussianHalves(seed);
        SplittableRandom seeds = new SplittableRandom(seed);
        int kv = m.kvHeads() * m.headDim();
        w.addTensor("token_embd.weight", new long[]{m.dim(), m.vocab()}, GgmlType.F16, random((long) m.dim() * m.vocab(), table, seeds.nextLong()));
        w.addTensor("output_norm.weight", new long[]{m.dim()}, ones(m.dim()));
        if (!m.tiedEmbeddings()) {
            w.addTensor("output.weight", new long[]{m.dim(), m.vocab()}, GgmlType.F16, random((long) m.dim() * m.vocab(), table, seeds.nextLong()));
        }
        for (int l = 0; l < m.layers(); l++) {
            String b = "blk." + l + ".";
            w.addTensor(b + "attn_norm.weight", new long[]{m.dim()}, ones(m.dim()));
            w.addTensor(b + "attn_q.weight", new long[]{m.dim(), m.dim()}, GgmlType.F16, random((long) m.dim() * m.dim(), table, seeds.nextLong()));
            w.addTensor(b + "attn_k.weight", new long[]{m.dim(), kv}, GgmlType.F16, random((long) m.dim() * kv, table, seeds.nextLong()));
            w.addTensor(b + "attn_v.weight", new long[]{m.dim(), kv}, GgmlType.F16, random((long) m.dim() * kv, table, seeds.nextLong()));
            w.addTensor(b + "attn_output.weight", new long[]{m.dim(), m.dim()}, GgmlType.F16, random((long) m.dim() * m.dim(), table, seeds.nextLong()));
            w.addTensor(b + "ffn_norm.weight", new long[]{m.dim()}, ones(m.dim()));
            w.addTensor(b + "ffn_gate.weight", new long[]{m.dim(), m.ffn()}, GgmlType.F16, random((long) m.dim() * m.ffn(), table, seeds.nextLong()));
            w.addTensor(b + "ffn_up.weight", new long[]{m.dim(), m.ffn()}, GgmlType.F16, random((long) m.dim() * m.ffn(), table, seeds.nextLong()));
            w.addTensor(b + "ffn_down.weight", new long[]{m.ffn(), m.dim()}, GgmlType.F16, random((long) m.ffn() * m.dim(), table, seeds.nextLong()));
        }
        w.write(out);
    }

    /** Copies the {@code tokenizer.*} keys; returns the number of tokens. */
    private static int copyTokenizer(Path vocabulary, GgufWriter w) {
        try (GgufFile vocab = GgufFile.open(vocabulary)) {
            vocab.metadata().asMap().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    w.put(k, v);
                }
            });
            return vocab.metadata().getStrings("tokenizer.ggml.tokens")
                    .orElseThrow(() -> new InputException(vocabulary + " has no tokenizer.ggml.tokens; pass a vocabulary GGUF")).length;
        }
    }

    private static short[] gaussianHalves(long seed) {
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        short[] table = new short[TABLE_SIZE];
        for (int i = 0; i < TABLE_SIZE; i++) {
            // Box-Muller from two uniforms
            double u = 1 - random.nextDouble();
            double g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
            table[i] = HalfFloat.f32ToF16((float) (0.02 * g));
        }
        return table;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    private static GgufWriter.TensorData random(long count, short[] table, long seed) {
        return new GgufWriter.TensorData() {
            public long byteSize() {
                return 2 * count;
            }

            public void writeTo(GgufWriter.Sink sink) throws IOException {
                SplittableRandom random = new SplittableRandom(seed);
                byte[] chunk = new byte[2 * CHUNK_VALUES];
                for (long done = 0; done < count; ) {
                    int n = (int) Math.min(CHUNK_VALUES, count - done);
                    for (int i = 0; i < n; i += 4) {
                        long bits = random.nextLong();
                        for (int k = 0; k < 4 && i + k < n; k++) {
                            short h = table[(int) (bits >>> (16 * k)) & (TABLE_SIZE - 1)];
                            chunk[2 * (i + k)] = (byte) h;
                            chunk[2 * (i + k) + 1] = (byte) (h >> 8);
                        }
                    }
                    sink.write(chunk, 0, 2 * n);
                    done += n;
                }
            }
        };
    }
}
