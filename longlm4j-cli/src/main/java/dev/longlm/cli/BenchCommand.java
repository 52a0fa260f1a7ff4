package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.bench.BenchmarkModel;
import dev.longlm.bench.BenchmarkModelWriter;
import dev.longlm.bench.SpeedBenchmark;
import dev.longlm.bench.Stats;
import dev.longlm.model.Model;
import dev.longlm.backend.Backend;
import dev.longlm.backend.cpu.WeightMatrices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = BenchCommand.WriteModel.class,
        description = "Measure prompt processing and generation speed (tokens/s) like llama-bench.")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    PositionOptions positions;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", defaultValue = "512", description = "prompt tokens (default ${DEFAULT-VALUE}; 0 skips)")
    int promptTokens;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "128", description = "generated tokens (default ${DEFAULT-VALUE}; 0 skips)")
    int genTokens;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", defaultValue = "3", description = "repetitions (default ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = {"-d", "--ctx-depth"}, paramLabel = "N", defaultValue = "0",
            description = "tokens already in the cache before each measurement (default ${DEFAULT-VALUE})")
    int depth;

    @Option(names = {"-ub", "--ubatch-size"}, paramLabel = "N", defaultValue = "512",
            description = "prompt tokens per forward pass (default ${DEFAULT-VALUE}, llama-bench's ubatch)")
    int batch;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "5",
            description = "seconds of untimed decoding first (default ${DEFAULT-VALUE}: C2 compiles the CPU's final decode kernels "
                    + "only after a few seconds; a GPU needs less)")
    double warmUp;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Override
    public Integer call() {
        if (promptTokens < 0 || genTokens < 0 || depth < 0 || repetitions < 1 || batch < 1) {
            throw new InputException("-p, -n and --ctx-depth must be >= 0, -r and -b >= 1");
        }
        if (!(warmUp >= 0 && warmUp <= 600)) {
            throw new InputException("--warmup must be between 0 and 600 seconds, got " + warmUp);
        }
        if (promptTokens == 0 && genTokens == 0) {
            throw new InputException("nothing to measure: -p and -n are both 0");
        }
        try (Model model = Model.load(modelOptions.modelPath());
             Backend backend = modelOptions.openBackend()) {
            int trained = model.config().contextLength();
            ContextMethod method = positions.resolve(trained, depth + Math.max(promptTokens, genTokens), System.err);
            var settings = new SpeedBenchmark.Settings(promptTokens, genTokens, repetitions, depth, batch, method, warmUp);
            SpeedBenchmark.Result r = SpeedBenchmark.run(model, backend, settings);
            if (json) {
                System.out.println(json(r, settings, modelOptions.threadCount(), backend.describe()));
            } else {
                String file = modelOptions.modelPath().getFileName().toString();
                System.err.println(backend.describe());
                System.out.printf("| model | threads | method | test | t/s |%n|---|---|---|---|---|%n");
                String at = depth > 0 ? " @ d" + depth : "";
                if (r.promptTokensPerSecond() != null) {
                    System.out.printf(Locale.ROOT, "| %s | %d | %s | pp%d%s | %s |%n", file, modelOptions.threadCount(), method.describe(),
                            promptTokens, at, format(r.promptTokensPerSecond()));
                }
                if (r.genTokensPerSecond() != null) {
                    System.out.printf(Locale.ROOT, "| %s | %d | %s | tg%d%s | %s |%n", file, modelOptions.threadCount(), method.describe(),
                            genTokens, at, format(r.genTokensPerSecond()));
                }
            }
        }
        return 0;
    }

    private static String format(Stats s) {
        return String.format(Locale.ROOT, "%.2f ± %.2f", s.mean(), s.sd());
    }

    private static String json(SpeedBenchmark.Result r, SpeedBenchmark.Settings s, int threads, String backend) {
        StringBuilder b = new StringBuilder("{");
        if (r.promptTokensPerSecond() != null) {
            b.append(String.format(Locale.ROOT, "\"prompt_tokens_per_s\": %.3f, \"prompt_tokens_per_s_sd\": %.3f, ",
                    r.promptTokensPerSecond().mean(), r.promptTokensPerSecond().sd()));
        }
        if (r.genTokensPerSecond() != null) {
            b.append(String.format(Locale.ROOT, "\"gen_tokens_per_s\": %.3f, \"gen_tokens_per_s_sd\": %.3f, ",
                    r.genTokensPerSecond().mean(), r.genTokensPerSecond().sd()));
        }
        b.append(String.format(Locale.ROOT, "\"n_prompt\": %d, \"n_gen\": %d, \"repetitions\": %d, \"ctx_depth\": %d, "
                        + "\"batch\": %d, \"threads\": %d, \"method\": \"%s\", \"kernels\": \"%s\", \"backend\": \"%s\"}",
                s.promptTokens(), s.genTokens(), s.repetitions(), s.depth(), s.batch(), threads,
                s.method().describe().replace("\"", "'"), WeightMatrices.kernels(), backend.replace("\"", "'")));
        return b.toString();
    }

    @Command(name = "write-model", mixinStandardHelpOptions = true,
            description = "Write an F16 model with random weights and exactly Llama-3.2-1B's or Llama-3.1-8B's shape, for speed measurements.")
    static final class WriteModel implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "OUT", description = "GGUF file to write (about 2.5 GB for 1b, 16 GB for 8b)")
        Path output;

        @Option(names = "--shape", paramLabel = "1b|8b", defaultValue = "1b",
                description = "Llama-3.2-1B (default) or Llama-3.1-8B")
        String shape;

        @Option(names = "--vocab", paramLabel = "FILE", required = true,
                description = "GGUF file whose tokenizer.* metadata (128256 tokens) is copied, e.g. ggml-vocab-llama-bpe.gguf")
        Path vocab;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "random seed (default ${DEFAULT-VALUE})")
        long seed;

        @Option(names = "--verbose", description = "print stack traces")
        boolean verbose;

        @Override
        public Integer call() throws IOException {
            long start = System.nanoTime();
            BenchmarkModelWriter.write(BenchmarkModel.named(shape), vocab, output, seed);
            System.err.printf("longlm: wrote %s in %.1f s%n", output, (System.nanoTime() - start) / 1e9);
            return 0;
        }
    }
}
