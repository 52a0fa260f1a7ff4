package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;
import dev.longlm.tensor.WeightMatrices;
import dev.longlm.tensor.WeightMatrix;

import java.util.List;
import java.util.stream.IntStream;

/** All tensors of a model, read in place from the memory-mapped file (norm vectors are small and copied). */
public record ModelWeights(WeightMatrix tokenEmbedding, List<LayerWeights> layers, float[] outputNorm, WeightMatrix output) {

    public static ModelWeights load(GgufFile file, ModelConfig config) {
        WeightMatrix embedding = matrix(file, "token_embd.weight", config.dim(), config.vocabSize());
        List<LayerWeights> layers = IntStream.range(0, config.layers()).mapToObj(l -> layer(file, config, "blk." + l + ".")).toList();
        float[] outputNorm = vector(file, "output_norm.weight", config.dim());
        // Tied embeddings: without output.weight the output projection is the embedding matrix.
        WeightMatrix output = file.hasTensor("output.weight")
                ? matrix(file, "output.weight", config.dim(), config.vocabSize()) : embedding;
        return new ModelWeights(embedding, layers, outputNorm, output);
    }

    private static LayerWeights layer(GgufFile file, ModelConfig c, String prefix) {
        return new LayerWeights(
                vector(file, prefix + "attn_norm.weight", c.dim()),
                matrix(file, prefix + "attn_q.weight", c.dim(), c.queryDim()),
                matrix(file, prefix + "attn_k.weight", c.dim(), c.kvDim()),
                matrix(file, prefix + "attn_v.weight", c.dim(), c.kvDim()),
                matrix(file, prefix + "attn_output.weight", c.queryDim(), c.dim()),
                optionalVector(file, prefix + "attn_q.bias", c.queryDim()),
                optionalVector(file, prefix + "attn_k.bias", c.kvDim()),
                optionalVector(file, prefix + "attn_v.bias", c.kvDim()),
                vector(file, prefix + "ffn_norm.weight", c.dim()),
                matrix(file, prefix + "ffn_gate.weight", c.dim(), c.ffnDim()),
                matrix(file, prefix + "ffn_up.weight", c.dim(), c.ffnDim()),
                matrix(file, prefix + "ffn_down.weight", c.ffnDim(), c.dim()));
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
