package dev.longlm.backend.cuda;

import dev.longlm.attention.ContextMethod;
import dev.longlm.backend.Backend;
import dev.longlm.backend.cpu.CpuBackend;
import dev.longlm.backend.cpu.FloatArrays;
import dev.longlm.generate.BatchDecoder;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoding steps replayed as CUDA graphs ({@link StepGraphs}) on the emulated GPU ({@link EmulatedCuda}: the
 * backend's real kernels on the CPU emulator, behind a fake driver that captures, updates and replays graphs
 * as the driver documents it and checks every replayed node's memory). Each scenario runs on the bundled
 * model with graphs and without ({@code stepGraphs} false: every step launched as it is), for both KV
 * precisions: the two must be bit-identical (the same kernels in the same order on the same inputs), both
 * within the GPU tests' bounds of the CPU backend (at the same storage precision), and the graph run must
 * really have replayed graphs (the fake's counters), so a silent fall-back to launching cannot pass.
 *
 * <p>Only with {@code -Dlonglm.test.emulatedCuda=true} (about a minute on two cores; CI does not set it).
 */
class EmulatedStepGraphsTest {
    private static final Path BUNDLED = Path.of("models/pd-llama-13m-ctx256-f16.gguf");

    private static Model model;
    private static int[] text;
    private static CpuBackend cpu;
    private static CpuBackend cpuF16Cache;
    private static final List<CudaBackend> opened = new ArrayList<>();

    @BeforeAll
    static void open() throws IOException {
        Assumptions.assumeTrue(EmulatedCuda.requested(), "emulated CUDA off (-D" + EmulatedCuda.PROPERTY + "=true runs it)");
        model = Model.load(BUNDLED);
        text = Arrays.stream(Files.readString(Path.of("src/test/resources/golden/sherlock256.tokens")).trim().split("\\s+"))
                .mapToInt(Integer::parseInt).toArray();
        cpu = new CpuBackend(2);
        cpuF16Cache = CpuBackend.withF16Cache(2);
    }

    @AfterAll
    static void close() {
        opened.forEach(CudaBackend::close);
        if (model != null) {
            cpu.close();
            cpuF16Cache.close();
            model.close();
        }
    }

    /** What a scenario produced: the tokens it chose (greedy) and the log-probabilities it read, in order. */
    private record Trace(int[] tokens, double[] logprobs) {
    }

    @FunctionalInterface
    private interface Scenario {
        Trace run(Backend backend);
    }

    /** Collects a scenario's tokens and log-probabilities. */
    private static final class Recorder {
        private final List<Integer> tokens = new ArrayList<>();
        private final List<Double> logprobs = new ArrayList<>();

        /** Log-probability of {@code token} under the logits at {@code offset}. */
        void logprob(float[] logits, int offset, int token) {
            logprobs.add((double) logits[offset + token] - FloatArrays.logSumExp(logits, offset, model.config().vocabSize()));
        }

        /** The most likely token of the logits (the first of equals), recorded with its log-probability. */
        int greedy(float[] logits) {
            int best = 0;
            for (int i = 1; i < model.config().vocabSize(); i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            tokens.add(best);
            logprob(logits, 0, best);
            return best;
        }

        Trace trace() {
            return new Trace(tokens.stream().mapToInt(Integer::intValue).toArray(),
                    logprobs.stream().mapToDouble(Double::doubleValue).toArray());
        }
    }

    private static CudaBackend emulated(KvPrecision precision, boolean stepGraphs) {
        CudaBackend backend = CudaBackend.open(EmulatedCuda.open(), precision, stepGraphs);
        opened.add(backend);
        return backend;
    }

    /**
     * Runs {@code scenario} on the CPU and on fresh emulated backends with and without graphs, for both KV
     * precisions, and checks them as the class comment says; {@code replayedSteps} is how many graph launches
     * the scenario must at least make (a step is captured again when its launches change, e.g. when attention
     * splits the keys of a longer context across more blocks and adds its combining kernel).
     */
    private static void check(String name, int replayedSteps, Scenario scenario) {
        List<String> failures = new ArrayList<>();
        for (KvPrecision precision : KvPrecision.values()) {
            double tolerance = precision == KvPrecision.F16 ? 2e-3 : 1e-4; // GpuModelTest's bounds
            Trace reference = scenario.run(precision == KvPrecision.F16 ? cpuF16Cache : cpu);
            long[] start = EmulatedCuda.graphCounts();
            Trace launched = scenario.run(emulated(precision, false));
            long[] between = EmulatedCuda.graphCounts();
            Trace replayed = scenario.run(emulated(precision, true));
            long[] end = EmulatedCuda.graphCounts();
            long captures = end[0] - between[0];
            long launches = end[1] - between[1];
            long updates = end[3] - between[3];
            double vsCpu = Math.max(maxDifference(reference.logprobs(), launched.logprobs()),
                    maxDifference(reference.logprobs(), replayed.logprobs()));
            System.out.printf("emulated graphs | %s | KV %s | %d log-probabilities, max |Δ| vs CPU %.2e | graphs: %d captured, "
                            + "%d launches (%d nodes), %d node updates; without graphs %d launches%n", name, precision,
                    replayed.logprobs().length, vsCpu, captures, launches, end[2] - between[2], updates, between[1] - start[1]);
            String what = name + ", KV " + precision + ": ";
            if (!Arrays.equals(launched.logprobs(), replayed.logprobs()) || !Arrays.equals(launched.tokens(), replayed.tokens())) {
                failures.add(what + "graphs changed the results (first difference at log-probability "
                        + Arrays.mismatch(launched.logprobs(), replayed.logprobs()) + ")");
            }
            if (vsCpu > tolerance) {
                failures.add(what + "max |Δ logprob| vs CPU " + vsCpu + " > " + tolerance);
            }
            if (!Arrays.equals(reference.tokens(), launched.tokens())) {
                failures.add(what + "greedy tokens differ from the CPU's: " + Arrays.toString(launched.tokens()) + " vs "
                        + Arrays.toString(reference.tokens()));
            }
            if (between[1] != start[1]) {
                failures.add(what + "graphs were launched with stepGraphs off");
            }
            if (captures < 1 || launches < replayedSteps || updates < 1) {
                failures.add(what + captures + " captures, " + launches + " graph launches (at least " + replayedSteps
                        + " expected), " + updates + " node updates");
            }
        }
        assertTrue(failures.isEmpty(), String.join("; ", failures));
    }

    private static double maxDifference(double[] a, double[] b) {
        assertEquals(a.length, b.length, "log-probabilities read");
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    /** 24 greedy tokens: the first decoding step runs as it is, the second is captured, the other 22 update and replay. */
    @Test
    void greedyDecodingReplaysTheCapturedStep() {
        int[] prompt = model.tokenizer().encode("Once upon a time", true, false);
        check("greedy, 24 tokens", 22, backend -> {
            Recorder r = new Recorder();
            try (Session session = new Session(model, backend, ContextMethod.none(), prompt.length + 32, 16)) {
                float[] logits = session.append(prompt);
                for (int i = 0; i < 24; i++) {
                    logits = session.decode(r.greedy(logits));
                }
            }
            return r.trace();
        });
    }

    /**
     * Self-Extend (G4 W16, so grouped positions from the 17th token on): a 40-token prompt scored in chunks of
     * 16 (the last, of 8 rows, is a replayable shape met once), then 24 tokens of the text decoded one by one.
     */
    @Test
    void chunkedPromptThenDecodingUnderSelfExtend() {
        check("self-extend G4 W16, 40-token prompt in chunks of 16, 24 decoded", 22, backend -> {
            Recorder r = new Recorder();
            try (Session session = new Session(model, backend, ContextMethod.selfExtend(4, 16), 96, 16)) {
                session.appendScoring(text, 0, 40, (i, logits, offset) -> r.logprob(logits, offset, text[i + 1]), null);
                for (int i = 40; i < 64; i++) {
                    r.logprob(session.decode(text[i]), 0, text[i + 1]);
                }
            }
            return r.trace();
        });
    }

    /**
     * A 100-token prompt chunk between decoding steps grows the backend's token buffer (64 ids at first) after
     * the decoding step was captured: the next replays must not copy through the buffers the graph was captured with.
     */
    @Test
    void aLongChunkBetweenDecodingStepsGrowsTheBuffersUnderTheGraph() {
        check("decode 6, a 100-token chunk, decode 6", 9, backend -> {
            Recorder r = new Recorder();
            try (Session session = new Session(model, backend, ContextMethod.none(), 160, 128)) {
                session.append(text, 0, 4, null);
                for (int i = 4; i < 10; i++) {
                    r.logprob(session.decode(text[i]), 0, text[i + 1]);
                }
                r.logprob(session.append(text, 10, 100, null), 0, text[110]);
                for (int i = 110; i < 116; i++) {
                    r.logprob(session.decode(text[i]), 0, text[i + 1]);
                }
            }
            return r.trace();
        });
    }

    /** Two sessions (plain and Self-Extend) decoded together, as the server's slots are: a step of two rows. */
    @Test
    void batchedDecodingOfTwoSessions() {
        check("two sessions batched, 12 steps", 8, backend -> {
            Recorder r = new Recorder();
            try (Session plain = new Session(model, backend, ContextMethod.none(), 64, 16);
                 Session extended = new Session(model, backend, ContextMethod.selfExtend(4, 16), 96, 16);
                 BatchDecoder decoder = new BatchDecoder(model, backend, 2)) {
                plain.append(text, 0, 12, null);
                extended.append(text, 100, 30, null);
                for (int step = 0; step < 12; step++) {
                    float[] logits = decoder.decode(List.of(plain, extended), new int[]{text[12 + step], text[130 + step]});
                    r.logprob(logits, decoder.logitsOffset(0), text[13 + step]);
                    r.logprob(logits, decoder.logitsOffset(1), text[131 + step]);
                }
            }
            return r.trace();
        });
    }
}
