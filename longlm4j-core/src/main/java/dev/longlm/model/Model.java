package dev.longlm.model;

import dev.longlm.attention.Rope;
import dev.longlm.backend.Backend;
import dev.longlm.gguf.GgufFile;
import dev.longlm.tokenizer.Tokenizer;

import java.nio.file.Path;

/** A loaded model: its file (mapped, weights used in place), hyper-parameters, weights and tokenizer. */
public final class Model implements AutoCloseable {
    private final GgufFile file;
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Tokenizer tokenizer;

    private Model(GgufFile file, ModelConfig config, ModelWeights weights, Tokenizer tokenizer) {
        this.file = file;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
    }

    public static Model load(Path path) {
        GgufFile file = GgufFile.open(path);
        try {
            ModelConfig config = ModelConfig.fromGguf(file);
            return new Model(file, config, ModelWeights.load(file, config), tokenizer(file));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** The tokenizer, with the file named in its errors (the tokenizer sees only the metadata). */
    private static Tokenizer tokenizer(GgufFile file) {
        try {
            return Tokenizer.fromGguf(file.metadata());
        } catch (dev.longlm.InputException e) {
            if (e.getMessage().startsWith(file.path().toString())) {
                throw e;
            }
            throw new dev.longlm.InputException(file.path() + ": " + e.getMessage(), e);
        }
    }

    public GgufFile file() {
        return file;
    }

    public ModelConfig config() {
        return config;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ModelWeights weights() {
        return weights;
    }

    /** RoPE as the file describes it, for contexts within the trained one. */
    public Rope defaultRope() {
        return ropeFor(config.contextLength());
    }

    /**
     * RoPE as the file describes it (base frequency, rotated dimensions, layout, scaling) for a
     * context of {@code contextLength} positions: LongRoPE switches to its long factors beyond the
     * original context, as llama.cpp does for its context size.
     */
    public Rope ropeFor(int contextLength) {
        return RopeFrequencies.rope(config, weights, contextLength);
    }

    /** The forward pass on {@code backend}, which loads the weights first (once per backend). */
    public Transformer on(Backend backend) {
        backend.load(weights.weightSet());
        return new Transformer(config, weights, backend);
    }

    @Override
    public void close() {
        file.close();
    }
}
