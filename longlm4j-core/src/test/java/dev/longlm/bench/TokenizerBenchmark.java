package dev.longlm.bench;

import dev.longlm.gguf.GgufFile;
import dev.longlm.tokenizer.Tokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Encoding ~100 KB of llama.cpp's tokenizer test inputs with each vocabulary.
 * Run with {@code tools/jmh.sh TokenizerBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TokenizerBenchmark {
    @Param({"llama-spm", "llama-bpe", "qwen2", "phi-3"})
    public String vocab;

    private Tokenizer tokenizer;
    private String text;

    @Setup
    public void setUp() throws IOException {
        Path dir = Path.of("src/test/resources/vocab");
        try (GgufFile file = GgufFile.open(dir.resolve("ggml-vocab-" + vocab + ".gguf"))) {
            tokenizer = Tokenizer.fromGguf(file.metadata());
        }
        String inputs = Files.readString(dir.resolve("ggml-vocab-llama-spm.gguf.inp")).replace("__ggml_vocab_test__", "");
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 100_000) {
            sb.append(inputs);
        }
        text = sb.toString();
    }

    @Benchmark
    public int encode100KB() {
        return tokenizer.encode(text, false, true).length;
    }
}
