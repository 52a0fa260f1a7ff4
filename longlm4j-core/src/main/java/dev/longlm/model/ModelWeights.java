package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.backend.WeightSet;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;
import dev.longlm.tensor.TensorData;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * All tensors of a model, described in place in the memory-mapped file (vectors are small and copied):
 * what a backend loads, in the file's own types.
 *
 * @param ropeFrequencyFactors Llama 3 {@code rope_freqs}: each pair's angle is divided by its factor; null if absent
 * @param ropeFactorsLong      LongRoPE factors beyond the original context; null if absent
 * @param ropeFactorsShort     LongRoPE factors within the original context; null if absent
 */
public record ModelWeights(TensorData tokenEmbedding, List<LayerWeights> layers, NormWeights outputNorm, Linear output,
                           float[] ropeFrequencyFactors, float[] ropeFactorsLong, float[] ropeFactorsShort) {

    public static ModelWeights load(GgufFile file, ModelConfig config) {
        TensorData embedding = matrix(file, "token_embd.weight", config.dim(), config.vocabSize());
        List<LayerWeights> layers = IntStream.range(0, config.layers()).mapToObj(l -> layer(file, config, "blk." + l + ".")).toList();
        NormWeights outputNorm = norm(file, "output_norm", config.dim());
        // Tied embeddings: without output.weight the output projection is the embedding matrix.
        TensorData output = file.hasTensor("output.weight")
                ? matrix(file, "output.weight", config.dim(), config.vocabSize()) : embedding;
        int pairs = config.ropeDims() / 2;
        return new ModelWeights(embedding, layers, outputNorm,
                new Linear(output, optionalVector(file, "output.bias", config.vocabSize())),
                optionalVector(file, "rope_freqs.weight", pairs),
                optionalVector(file, "rope_factors_long.weight", pairs),
                optionalVector(file, "rope_factors_short.weight", pairs));
    }

    private static LayerWeights layer(GgufFile file, ModelConfig c, String prefix) {
        Linear[] qkv = attentionProjections(file, c, prefix);
        Linear[] gateUp = gateAndUp(file, c, prefix);
        boolean parallel = c.architecture().parallelResidual();
        return new LayerWeights(
                norm(file, prefix + "attn_norm", c.dim()),
                qkv[0], qkv[1], qkv[2],
                optionalVector(file, prefix + "attn_q_norm.weight", c.headDim()),
                optionalVector(file, prefix + "attn_k_norm.weight", c.headDim()),
                linear(file, prefix + "attn_output", c.queryDim(), c.dim()),
                file.hasTensor(prefix + "post_attention_norm.weight") ? norm(file, prefix + "post_attention_norm", c.dim()) : null,
                parallel ? null : norm(file, prefix + "ffn_norm", c.dim()),
                gateUp[0], gateUp[1],
                linear(file, prefix + "ffn_down", c.ffnDim(), c.dim()),
                file.hasTensor(prefix + "post_ffw_norm.weight") ? norm(file, prefix + "post_ffw_norm", c.dim()) : null);
    }

    /** Q, K, V: separate tensors, or row views of a fused {@code attn_qkv} (Phi), with biases either way. */
    private static Linear[] attentionProjections(GgufFile file, ModelConfig c, String prefix) {
        int[] sizes = {c.queryDim(), c.kvDim(), c.kvDim()};
        String fused = prefix + "attn_qkv";
        if (!file.hasTensor(fused + ".weight")) {
            return new Linear[]{linear(file, prefix + "attn_q", c.dim(), sizes[0]),
                    linear(file, prefix + "attn_k", c.dim(), sizes[1]),
                    linear(file, prefix + "attn_v", c.dim(), sizes[2])};
        }
        return split(file, fused, c.dim(), sizes);
    }

    /** Gate and up: separate tensors, a fused {@code ffn_up} of twice the width (Phi-3: gate rows first), or up alone (GELU MLP). */
    private static Linear[] gateAndUp(GgufFile file, ModelConfig c, String prefix) {
        if (c.architecture().feedForward() == Architecture.FeedForward.GELU_MLP) {
            return new Linear[]{null, linear(file, prefix + "ffn_up", c.dim(), c.ffnDim())};
        }
        if (file.hasTensor(prefix + "ffn_gate.weight")) {
            return new Linear[]{linear(file, prefix + "ffn_gate", c.dim(), c.ffnDim()),
                    linear(file, prefix + "ffn_up", c.dim(), c.ffnDim())};
        }
        return split(file, prefix + "ffn_up", c.dim(), new int[]{c.ffnDim(), c.ffnDim()});
    }

    /** Row views of a fused projection, consecutive blocks of {@code sizes} rows, and the matching bias slices. */
    private static Linear[] split(GgufFile file, String name, int cols, int[] sizes) {
        int total = IntStream.of(sizes).sum();
        TensorData whole = matrix(file, name + ".weight", cols, total);
        float[] bias = optionalVector(file, name + ".bias", total);
        Linear[] parts = new Linear[sizes.length];
        for (int i = 0, row = 0; i < sizes.length; row += sizes[i], i++) {
            TensorData view = whole.rowRange(whole.name() + "[" + row + ":" + (row + sizes[i]) + "]", row, sizes[i]);
            parts[i] = new Linear(view, bias == null ? null : java.util.Arrays.copyOfRange(bias, row, row + sizes[i]));
        }
        return parts;
    }

    private static Linear linear(GgufFile file, String name, int cols, int rows) {
        return new Linear(matrix(file, name + ".weight", cols, rows), optionalVector(file, name + ".bias", rows));
    }

    private static NormWeights norm(GgufFile file, String name, int length) {
        return new NormWeights(vector(file, name + ".weight", length), optionalVector(file, name + ".bias", length));
    }

    /** A matrix that must have {@code cols} columns and {@code rows} rows, as the metadata says. */
    static TensorData matrix(GgufFile file, String name, int cols, int rows) {
        GgufTensorInfo info = file.tensor(name);
        if (info.shape().length != 2 || info.shape()[0] != cols || info.shape()[1] != rows) {
            throw new InputException(file.path() + ": tensor '" + name + "' has shape " + info.shapeString()
                    + " but the metadata implies [" + cols + ", " + rows + "]");
        }
        return tensor(file, info, rows, cols);
    }

    private static TensorData tensor(GgufFile file, GgufTensorInfo info, int rows, int cols) {
        if (cols % info.type().blockSize() != 0) {
            throw new InputException(file.path() + ": tensor '" + info.name() + "' has " + cols + " columns, not a multiple of "
                    + info.type() + "'s block of " + info.type().blockSize());
        }
        return new TensorData(info.name(), info.type(), rows, cols, file.data(info));
    }

    static float[] vector(GgufFile file, String name, int length) {
        GgufTensorInfo info = file.tensor(name);
        if (info.elementCount() != length) {
            throw new InputException(file.path() + ": tensor '" + name + "' has shape " + info.shapeString()
                    + " but the metadata implies [" + length + "]");
        }
        return tensor(file, info, 1, length).toFloats();
    }

    static float[] optionalVector(GgufFile file, String name, int length) {
        return file.hasTensor(name) ? vector(file, name, length) : null;
    }

    /** Every matrix and vector, each once (a tied output is the embedding), for a backend to load. */
    public WeightSet weightSet() {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<TensorData> matrices = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        addMatrix(tokenEmbedding, seen, matrices);
        for (LayerWeights l : layers) {
            for (Linear linear : new Linear[]{l.query(), l.key(), l.value(), l.attentionOutput(), l.ffnGate(), l.ffnUp(), l.ffnDown()}) {
                addLinear(linear, seen, matrices, vectors);
            }
            for (NormWeights norm : new NormWeights[]{l.attentionNorm(), l.attentionPostNorm(), l.ffnNorm(), l.ffnPostNorm()}) {
                addNorm(norm, seen, vectors);
            }
            addVector(l.queryNorm(), seen, vectors);
            addVector(l.keyNorm(), seen, vectors);
        }
        addNorm(outputNorm, seen, vectors);
        addLinear(output, seen, matrices, vectors);
        return new WeightSet(List.copyOf(matrices), List.copyOf(vectors));
    }

    private static void addLinear(Linear linear, Set<Object> seen, List<TensorData> matrices, List<float[]> vectors) {
        if (linear != null) {
            addMatrix(linear.weight(), seen, matrices);
            addVector(linear.bias(), seen, vectors);
        }
    }

    private static void addNorm(NormWeights norm, Set<Object> seen, List<float[]> vectors) {
        if (norm != null) {
            addVector(norm.weight(), seen, vectors);
            addVector(norm.bias(), seen, vectors);
        }
    }

    private static void addMatrix(TensorData t, Set<Object> seen, List<TensorData> matrices) {
        if (seen.add(t)) {
            matrices.add(t);
        }
    }

    private static void addVector(float[] v, Set<Object> seen, List<float[]> vectors) {
        if (v != null && seen.add(v)) {
            vectors.add(v);
        }
    }
}
