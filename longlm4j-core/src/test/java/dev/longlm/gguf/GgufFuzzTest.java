package dev.longlm.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.longlm.InputException;
import dev.longlm.model.ModelConfig;
import dev.longlm.model.ModelWeights;
import dev.longlm.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * Fuzz target: any bytes as a model file. Reading the header, the hyper-parameters, the tokenizer
 * and the weights either succeeds or throws an {@link InputException}; anything else (another
 * exception, an error, a hang) is a finding. The corpus (GgufFuzzTestInputs/) holds a tiny valid
 * llama model from {@link FuzzSeeds} and every input that once crashed.
 */
class GgufFuzzTest {
    private static final Path NAME = Path.of("fuzz.gguf");

    @FuzzTest(maxDuration = "10m")
    void readModel(byte[] bytes) {
        try (GgufFile file = GgufFile.ofBytes(NAME, bytes)) {
            ModelConfig config = ModelConfig.fromGguf(file);
            Tokenizer.fromGguf(file.metadata());
            ModelWeights.load(file, config);
        } catch (InputException expected) {
            // bad input, reported in one line
        }
    }
}
