package dev.longlm.tokenizer;

import dev.longlm.gguf.GgufFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Loads the vocabulary files and llama.cpp test vectors under src/test/resources/vocab. */
final class VocabFixtures {
    /** One llama.cpp test case: the input text and the ids llama.cpp produced (no BOS). */
    record Vector(String input, int[] expected) {
    }

    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private VocabFixtures() {
    }

    static Path resource(String name) {
        URL url = VocabFixtures.class.getResource("/vocab/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource vocab/" + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tokenizer of ggml-vocab-{name}.gguf, loaded once per test run. */
    static Tokenizer tokenizer(String name) {
        return TOKENIZERS.computeIfAbsent(name, n -> {
            try (GgufFile file = GgufFile.open(resource("ggml-vocab-" + n + ".gguf"))) {
                return Tokenizer.fromGguf(file.metadata());
            }
        });
    }

    /** Splits the .inp/.out pair exactly as llama.cpp's tests/test-tokenizer-0.cpp does. */
    static List<Vector> vectors(String name) {
        try {
            String inputs = Files.readString(resource("ggml-vocab-" + name + ".gguf.inp"), StandardCharsets.UTF_8);
            List<String> outputs = Files.readAllLines(resource("ggml-vocab-" + name + ".gguf.out"), StandardCharsets.UTF_8);
            String separator = "\n__ggml_vocab_test__\n";
            List<String> texts = new ArrayList<>();
            int pos = 0;
            while (pos < inputs.length()) {
                int next = inputs.indexOf(separator, pos);
                if (next < 0) {
                    texts.add(inputs.substring(pos));
                    break;
                }
                texts.add(inputs.substring(pos, next));
                pos = next + separator.length();
            }
            if (texts.size() != outputs.size()) {
                throw new IllegalStateException(name + ": " + texts.size() + " inputs but " + outputs.size() + " outputs");
            }
            List<Vector> vectors = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String line = outputs.get(i).strip();
                int[] ids = line.isEmpty() ? new int[0]
                        : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
                vectors.add(new Vector(texts.get(i), ids));
            }
            return vectors;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
