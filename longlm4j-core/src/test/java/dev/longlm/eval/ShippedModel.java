package dev.longlm.eval;

import dev.longlm.model.Model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The bundled model and the model card's held-out text, as the evaluation tests use them. */
final class ShippedModel {
    static final Path MODEL = Path.of("models", "pd-llama-13m-ctx256-f16.gguf");

    private ShippedModel() {
    }

    static Model load() {
        return Model.load(MODEL);
    }

    /** The start of sherlock.txt (see src/test/resources/eval/README.md). */
    static String sherlockHead() throws IOException {
        try (InputStream in = ShippedModel.class.getResourceAsStream("/eval/sherlock-head.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
