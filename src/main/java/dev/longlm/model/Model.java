package dev.longlm.model;

import dev.longlm.attention.Rope;
import dev.longlm.gguf.GgufFile;

import java.nio.file.Path;

/** A loaded model: its file (mapped, weights used in place), hyper-parameters and weights. */
public final class Model implements AutoCloseable {
    private final GgufFile file;
    private final ModelConfig config;
    private final ModelWeights weights;

    private Model(GgufFile file, ModelConfig config, ModelWeights weights) {
        this.file = file;
        this.config = config;
        this.weights = weights;
    }

    public static Model load(Path path) {
        GgufFile file = GgufFile.open(path);
        try {
            ModelConfig config = ModelConfig.fromGguf(file);
            return new Model(file, config, ModelWeights.load(file, config));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public GgufFile file() {
        return file;
    }

    public ModelConfig config() {
        return config;
    }

    public ModelWeights weights() {
        return weights;
    }

    /** RoPE as the file describes it (base frequency, rotated dimensions, layout). */
    public Rope defaultRope() {
        return Rope.standard(config.headDim(), config.ropeDims(), config.ropeLayout(), config.ropeBase());
    }

    public Transformer transformer(Rope rope) {
        return new Transformer(config, weights, rope);
    }

    @Override
    public void close() {
        file.close();
    }
}
