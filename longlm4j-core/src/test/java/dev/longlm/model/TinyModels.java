package dev.longlm.model;

import dev.longlm.gguf.GgmlType;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;
import dev.longlm.gguf.GgufValue;
import dev.longlm.gguf.GgufWriter;
import dev.longlm.backend.cpu.Quantizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Deterministic random-weight models, one per architecture case of the llama.cpp golden fixtures
 * (src/test/resources/golden/arch/, made by tools/golden/arch/make-arch-fixtures.sh). Each model is
 * written with its architecture's exact tensor names and metadata and the tokenizer of
 * ggml-vocab-llama-spm.gguf (32000 tokens), so llama.cpp loads it. Weights come from a seeded
 * {@link Random} per tensor name, so the fixture script and the tests write the same bytes.
 *
 * <p>Run as a program: {@code write DIR} writes every case's model plus the F32 source of the
 * Q4_K_M case and {@code tokens.txt}; {@code cases} lists {@code name file context};
 * {@code manifest GGUF} prints each tensor's type and SHA-256.
 */
public final class TinyModels {
    /** Optional tensors and layouts a model can have; which ones an architecture needs is llama.cpp's rule. */
    enum Feature {
        UNTIED_OUTPUT, OUTPUT_BIAS, NORM_BIAS, QKV_BIAS, FUSED_QKV, QK_NORM, ATTN_OUTPUT_BIAS, POST_NORMS,
        FUSED_GATE_UP, FFN_BIAS, LLAMA3_ROPE_FREQS, LONGROPE_FACTORS
    }

    /** A model: architecture, sizes, optional tensors, extra metadata, and the type of its matrices. */
    record Spec(String arch, int dim, int heads, int kvHeads, int headDim, int ffn, int ropeDims, Set<Feature> features,
                Map<String, GgufValue> metadata, GgmlType matrixType) {
        /** The same model with its matrices in {@code type}. */
        Spec withMatrixType(GgmlType type) {
            return new Spec(arch, dim, heads, kvHeads, headDim, ffn, ropeDims, features, metadata, type);
        }
    }

    /** A golden case: a model file, the context size both engines use, and (Q4_K_M only) llama-quantize's types. */
    record Case(String name, Spec spec, int context, String typesResource) {
        String fileName() {
            return name + ".gguf";
        }
    }

    static final int VOCAB = 32000;
    static final int LAYERS = 2;
    static final int TRAINED_CONTEXT = 1024;

    private static Spec spec(String arch, int dim, int heads, int kvHeads, int headDim, int ffn, int ropeDims,
                             Set<Feature> features, Map<String, GgufValue> metadata) {
        return new Spec(arch, dim, heads, kvHeads, headDim, ffn, ropeDims, features, metadata, GgmlType.Q8_0);
    }

    private static Set<Feature> features(Feature... f) {
        Set<Feature> s = EnumSet.noneOf(Feature.class);
        s.addAll(List.of(f));
        return s;
    }

    static final Spec LLAMA = spec("llama", 64, 4, 2, 16, 128, 16, features(Feature.UNTIED_OUTPUT), Map.of());
    /** The engine issue's model: GQA, untied output, rows of 256 so that Q4_K_M really uses K-quants. */
    static final Spec LLAMA_GQA = spec("llama", 256, 8, 2, 32, 512, 32, features(Feature.UNTIED_OUTPUT), Map.of());
    static final Spec LLAMA_GQA_F32 = new Spec("llama", 256, 8, 2, 32, 512, 32, features(Feature.UNTIED_OUTPUT), Map.of(), GgmlType.F32);
    static final Spec MISTRAL = spec("llama", 64, 4, 2, 16, 128, 16, features(Feature.UNTIED_OUTPUT),
            Map.of("llama.attention.sliding_window", GgufValue.uint32(16)));

    static final List<Case> CASES = List.of(
            new Case("llama", LLAMA, 256, null),
            // F32 weights: no quantization on either side, so only arithmetic order separates the engines.
            new Case("llama-f32", new Spec("llama", 64, 4, 2, 16, 128, 16, features(Feature.UNTIED_OUTPUT), Map.of(),
                    GgmlType.F32), 256, null),
            new Case("llama-f32-mqa", new Spec("llama", 64, 4, 1, 32, 128, 32, features(Feature.UNTIED_OUTPUT),
                    Map.of("llama.attention.key_length", GgufValue.uint32(32),
                            "llama.attention.value_length", GgufValue.uint32(32)), GgmlType.F32), 256, null),
            new Case("llama3-rope-freqs", spec("llama", 64, 4, 2, 16, 128, 16,
                    features(Feature.UNTIED_OUTPUT, Feature.LLAMA3_ROPE_FREQS), Map.of()), 256, null),
            new Case("llama-linear-scaling", spec("llama", 64, 4, 2, 16, 128, 16, features(Feature.UNTIED_OUTPUT),
                    Map.of("llama.rope.scaling.type", GgufValue.string("linear"),
                            "llama.rope.scaling.factor", GgufValue.float32(4f))), 256, null),
            new Case("llama-gqa-q8_0", LLAMA_GQA, 256, null),
            new Case("llama-gqa-q4_k_m", LLAMA_GQA, 256, "llama-gqa-q4_k_m.types"),
            new Case("qwen2", spec("qwen2", 64, 4, 2, 16, 128, 16, features(Feature.QKV_BIAS), Map.of()), 256, null),
            new Case("qwen3", spec("qwen3", 64, 4, 2, 32, 128, 32, features(Feature.UNTIED_OUTPUT, Feature.QK_NORM),
                    Map.of("qwen3.attention.key_length", GgufValue.uint32(32),
                            "qwen3.attention.value_length", GgufValue.uint32(32))), 256, null),
            new Case("phi2", spec("phi2", 64, 4, 4, 16, 128, 8, features(Feature.UNTIED_OUTPUT, Feature.OUTPUT_BIAS,
                    Feature.NORM_BIAS, Feature.QKV_BIAS, Feature.ATTN_OUTPUT_BIAS, Feature.FFN_BIAS), Map.of()), 256, null),
            new Case("phi2-fused-qkv", spec("phi2", 64, 4, 4, 16, 128, 8, features(Feature.UNTIED_OUTPUT,
                    Feature.OUTPUT_BIAS, Feature.NORM_BIAS, Feature.FUSED_QKV, Feature.QKV_BIAS, Feature.ATTN_OUTPUT_BIAS,
                    Feature.FFN_BIAS), Map.of()), 256, null),
            new Case("phi3", spec("phi3", 64, 4, 4, 16, 128, 16,
                    features(Feature.UNTIED_OUTPUT, Feature.FUSED_QKV, Feature.FUSED_GATE_UP), Map.of()), 256, null),
            // LongRoPE with partial rotary: short factors within the original 512 positions, long beyond
            // (llama.cpp pads its context to 256, so 256 and 768 pick the two sets).
            new Case("phi3-longrope-short", Specs.PHI3_LONGROPE, 256, null),
            new Case("phi3-longrope-long", Specs.PHI3_LONGROPE, 768, null),
            new Case("gemma", spec("gemma", 64, 4, 1, 32, 128, 32, features(),
                    Map.of("gemma.attention.key_length", GgufValue.uint32(32),
                            "gemma.attention.value_length", GgufValue.uint32(32))), 256, null),
            new Case("gemma2", spec("gemma2", 64, 4, 2, 16, 128, 16, features(Feature.POST_NORMS),
                    Map.of("gemma2.attention.sliding_window", GgufValue.uint32(4096),
                            "gemma2.attn_logit_softcapping", GgufValue.float32(50f),
                            "gemma2.final_logit_softcapping", GgufValue.float32(30f))), 256, null),
            new Case("gemma2-window-softcap", spec("gemma2", 64, 4, 2, 16, 128, 16, features(Feature.POST_NORMS),
                    Map.of("gemma2.attention.sliding_window", GgufValue.uint32(16),
                            "gemma2.attn_logit_softcapping", GgufValue.float32(3f),
                            "gemma2.final_logit_softcapping", GgufValue.float32(4f))), 256, null));

    /** Specs shared by several cases (a holder, so CASES can refer to them before their declaration order). */
    static final class Specs {
        static final Spec PHI3_LONGROPE = spec("phi3", 64, 4, 4, 16, 128, 8,
                features(Feature.UNTIED_OUTPUT, Feature.FUSED_QKV, Feature.FUSED_GATE_UP, Feature.LONGROPE_FACTORS),
                Map.of("phi3.rope.scaling.type", GgufValue.string("longrope"),
                        "phi3.rope.scaling.attn_factor", GgufValue.float32(1.2f),
                        "phi3.rope.scaling.original_context_length", GgufValue.uint32(512)));
    }

    private TinyModels() {
    }

    /** The token ids every case scores (random, fixed by seed; no BOS). */
    static int[] tokens() {
        Random r = new Random(2024);
        int[] t = new int[64];
        for (int i = 0; i < t.length; i++) {
            t[i] = 3 + r.nextInt(VOCAB - 3);
        }
        return t;
    }

    /** Writes {@code spec}'s model; {@code types} (may be null) overrides the type of named tensors. */
    static void write(Spec spec, Map<String, GgmlType> types, Path path) throws IOException {
        Architecture arch = Architecture.forName(spec.arch(), path);
        String p = spec.arch() + ".";
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string(spec.arch()));
        w.put("general.name", GgufValue.string("tiny random model") /* a name with "phi3" in it makes llama.cpp look for Phi-3 special tokens */);
        w.put(p + "context_length", GgufValue.uint32(TRAINED_CONTEXT));
        w.put(p + "embedding_length", GgufValue.uint32(spec.dim()));
        w.put(p + "block_count", GgufValue.uint32(LAYERS));
        w.put(p + "feed_forward_length", GgufValue.uint32(spec.ffn()));
        w.put(p + "attention.head_count", GgufValue.uint32(spec.heads()));
        w.put(p + "attention.head_count_kv", GgufValue.uint32(spec.kvHeads()));
        w.put(p + "rope.dimension_count", GgufValue.uint32(spec.ropeDims()));
        w.put(p + "rope.freq_base", GgufValue.float32(10000f));
        w.put(p + (arch.norm() == Architecture.Norm.RMS ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon"),
                GgufValue.float32(1e-5f));
        new java.util.TreeMap<>(spec.metadata()).forEach(w::put);
        vocabulary().forEach(w::put);

        TensorSink t = new TensorSink(w, spec, types);
        Set<Feature> f = spec.features();
        int dim = spec.dim(), q = spec.heads() * spec.headDim(), kv = spec.kvHeads() * spec.headDim(), ffn = spec.ffn();
        t.matrix("token_embd.weight", dim, VOCAB, 1f);
        t.norm("output_norm", dim, f.contains(Feature.NORM_BIAS));
        if (f.contains(Feature.UNTIED_OUTPUT)) {
            t.matrix("output.weight", dim, VOCAB, 3f);
        }
        if (f.contains(Feature.OUTPUT_BIAS)) {
            t.vector("output.bias", VOCAB, 0f, 0.5f);
        }
        if (f.contains(Feature.LLAMA3_ROPE_FREQS)) {
            t.exact("rope_freqs.weight", llama3Factors(spec.ropeDims(), 10000, 8f, 1f, 4f, 16));
        }
        if (f.contains(Feature.LONGROPE_FACTORS)) {
            t.vector("rope_factors_long.weight", spec.ropeDims() / 2, 3f, 2f);
            t.vector("rope_factors_short.weight", spec.ropeDims() / 2, 1.25f, 0.25f);
        }
        for (int l = 0; l < LAYERS; l++) {
            String b = "blk." + l + ".";
            t.norm(b + "attn_norm", dim, f.contains(Feature.NORM_BIAS));
            if (f.contains(Feature.FUSED_QKV)) {
                t.linear(b + "attn_qkv", dim, q + 2 * kv, f.contains(Feature.QKV_BIAS));
            } else {
                t.linear(b + "attn_q", dim, q, f.contains(Feature.QKV_BIAS));
                t.linear(b + "attn_k", dim, kv, f.contains(Feature.QKV_BIAS));
                t.linear(b + "attn_v", dim, kv, f.contains(Feature.QKV_BIAS));
            }
            if (f.contains(Feature.QK_NORM)) {
                t.vector(b + "attn_q_norm.weight", spec.headDim(), 1f, 0.2f);
                t.vector(b + "attn_k_norm.weight", spec.headDim(), 1f, 0.2f);
            }
            t.linear(b + "attn_output", q, dim, f.contains(Feature.ATTN_OUTPUT_BIAS));
            if (f.contains(Feature.POST_NORMS)) {
                t.norm(b + "post_attention_norm", dim, false);
            }
            if (!arch.parallelResidual()) {
                t.norm(b + "ffn_norm", dim, f.contains(Feature.NORM_BIAS));
            }
            if (arch.feedForward() == Architecture.FeedForward.GELU_MLP) {
                t.linear(b + "ffn_up", dim, ffn, f.contains(Feature.FFN_BIAS));
            } else if (f.contains(Feature.FUSED_GATE_UP)) {
                t.linear(b + "ffn_up", dim, 2 * ffn, false);
            } else {
                t.linear(b + "ffn_gate", dim, ffn, false);
                t.linear(b + "ffn_up", dim, ffn, false);
            }
            t.linear(b + "ffn_down", ffn, dim, f.contains(Feature.FFN_BIAS));
            if (f.contains(Feature.POST_NORMS)) {
                t.norm(b + "post_ffw_norm", dim, false);
            }
        }
        w.write(path);
    }

    /** Adds tensors with seeded random values: matrices of standard deviation {@code gain/√cols}, vectors around a centre. */
    private record TensorSink(GgufWriter writer, Spec spec, Map<String, GgmlType> types) {
        void matrix(String name, int cols, int rows, float gain) {
            float[] v = uniform(name, cols * rows, 0f, gain * (float) Math.sqrt(3.0 / cols));
            GgmlType type = types != null && types.containsKey(name) ? types.get(name) : spec.matrixType();
            writer.addTensor(name, new long[]{cols, rows}, type, GgufWriter.TensorData.of(Quantizer.quantize(type, v)));
        }

        void linear(String name, int cols, int rows, boolean bias) {
            matrix(name + ".weight", cols, rows, 1f);
            if (bias) {
                vector(name + ".bias", rows, 0f, 0.3f);
            }
        }

        void norm(String name, int length, boolean bias) {
            vector(name + ".weight", length, 1f, 0.2f);
            if (bias) {
                vector(name + ".bias", length, 0f, 0.2f);
            }
        }

        void vector(String name, int length, float centre, float halfWidth) {
            exact(name, uniform(name, length, centre, halfWidth));
        }

        void exact(String name, float[] values) {
            writer.addTensor(name, new long[]{values.length}, values);
        }

        private float[] uniform(String name, int n, float centre, float halfWidth) {
            Random r = new Random(name.hashCode() * 31L + spec.arch().hashCode());
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = centre + halfWidth * (2 * r.nextFloat() - 1);
            }
            return v;
        }
    }

    /** Llama 3.1's frequency factors, as its converter computes them into {@code rope_freqs.weight}. */
    static float[] llama3Factors(int ropeDims, double base, float factor, float lowFreqFactor, float highFreqFactor,
                                 int originalContext) {
        float[] out = new float[ropeDims / 2];
        double lowWavelength = originalContext / lowFreqFactor;
        double highWavelength = originalContext / highFreqFactor;
        for (int i = 0; i < out.length; i++) {
            double wavelength = 2 * Math.PI * Math.pow(base, 2.0 * i / ropeDims);
            if (wavelength < highWavelength) {
                out[i] = 1f;
            } else if (wavelength > lowWavelength) {
                out[i] = factor;
            } else {
                double smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                out[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }

    /** The tokenizer metadata of llama.cpp's ggml-vocab-llama-spm.gguf. */
    static Map<String, GgufValue> vocabulary() {
        Map<String, GgufValue> out = new LinkedHashMap<>();
        try (GgufFile vocab = GgufFile.open(resource("/vocab/ggml-vocab-llama-spm.gguf"))) {
            vocab.metadata().asMap().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    out.put(k, v);
                }
            });
        }
        return out;
    }

    static Path resource(String name) {
        URL url = TinyModels.class.getResource(name);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Per-tensor {@code name type sha256} lines of a GGUF file. */
    static List<String> manifest(Path gguf) {
        List<String> lines = new ArrayList<>();
        try (GgufFile file = GgufFile.open(gguf)) {
            for (GgufTensorInfo info : file.tensorList()) {
                lines.add(info.name() + " " + info.type() + " " + sha256(file.data(info).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            }
        }
        return lines;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Tensor types from a committed manifest ({@code name type sha256} lines). */
    static Map<String, GgmlType> types(List<String> manifest) {
        Map<String, GgmlType> types = new LinkedHashMap<>();
        for (String line : manifest) {
            String[] parts = line.split(" ");
            types.put(parts[0], GgmlType.valueOf(parts[1]));
        }
        return types;
    }

    public static void main(String[] args) throws IOException {
        switch (args[0]) {
            case "write" -> {
                Path dir = Path.of(args[1]);
                Files.createDirectories(dir);
                for (Case c : CASES) {
                    if (c.typesResource() == null) {
                        write(c.spec(), null, dir.resolve(c.fileName()));
                    }
                }
                write(LLAMA_GQA_F32, null, dir.resolve("llama-gqa-f32.gguf"));
                StringBuilder sb = new StringBuilder();
                for (int t : tokens()) {
                    sb.append(t).append('\n');
                }
                Files.writeString(dir.resolve("tokens.txt"), sb);
            }
            case "cases" -> CASES.forEach(c -> System.out.println(c.name() + " " + c.fileName() + " " + c.context()));
            case "manifest" -> manifest(Path.of(args[1])).forEach(System.out::println);
            default -> throw new UncheckedIOException(new IOException("unknown command " + args[0]));
        }
    }
}
