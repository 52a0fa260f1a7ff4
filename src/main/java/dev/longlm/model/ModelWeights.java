package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;
import dev.longlm.backend.cpu.WeightMatrices;
import dev.longlm.backend.cpu.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.stream.IntStream;

/**
 * All tensors of a model, read in place from the memory-mapped file (vectors are small and copied).
 *
 * @param ropeFrequencyFactors Llama 3 {@code rope_freqs}: each pair's angle is divided by its factor; null if absent
 * @param ropeFactorsLong      LongRoPE factors beyond the original context; null if absent
 * @param ropeFactorsShort     LongRoPE factors within the original context; null if absent
 */
public record ModelWeights(WeightMatrix tokenEmbedding, List<LayerWeights> layers, NormWeights outputNorm, Linear output,
                           float[] ropeFrequencyFactors, float[] ropeFactorsLong, float[] ropeFactorsShort) {

    public static ModelWeights load(GgufFile file, ModelConfig config) {
        WeightMatrix embedding = matrix(file, "token_embd.weight", config.dim(), config.vocabSize());
        List<LayerWeights> layers = IntStream.range(0, config.layers()).mapToObj(l -> layer(file, config, "blk." + l + ".")).toList();
        NormWeights outputNorm = norm(file, "output_norm", config.dim());
        // Tied embeddings: without output.weight the output projection is the embedding matrix.
        WeightMatrix output = file.hasTensor("output.weight")
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
        GgufTensorInfo info = file.tensor(name + ".weight");
        matrix(file, info.name(), cols, total); // checks the shape
        float[] bias = optionalVector(file, name + ".bias", total);
        MemorySegment data = file.data(info);
        long rowBytes = info.type().bytesFor(cols);
        Linear[] parts = new Linear[sizes.length];
        for (int i = 0, row = 0; i < sizes.length; row += sizes[i], i++) {
            WeightMatrix view = WeightMatrices.of(info.type(), data.asSlice(row * rowBytes, sizes[i] * rowBytes), sizes[i], cols);
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
    static WeightMatrix matrix(GgufFile file, String name, int cols, int rows) {
        GgufTensorInfo info = file.tensor(name);
        if (info.shape().length != 2 || info.shape()[0] != cols || info.shape()[1] != rows) {
            throw new InputException(file.path() + ": tensor '" + name + "' has shape " + info.shapeString()
                    + " but the metadata implies [" + cols + ", " + rows + "]");
        }
        return WeightMatrices.of(file, info);
    }

    static float[] vector(GgufFile file, String name, int length) {
        GgufTensorInfo info = file.tensor(name);
        if (info.elementCount() != length) {
            throw new InputException(file.path() + ": tensor '" + name + "' has shape " + info.shapeString()
                    + " but the metadata implies [" + length + "]");
        }
        float[] v = new float[length];
        WeightMatrices.of(info.type(), file.data(info), 1, length).dequantizeRow(0, v, 0);
        return v;
    }

    static float[] optionalVector(GgufFile file, String name, int length) {
        return file.hasTensor(name) ? vector(file, name, length) : null;
    }
}
