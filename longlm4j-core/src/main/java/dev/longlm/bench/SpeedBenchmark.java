package dev.longlm.bench;

import dev.longlm.attention.ContextMethod;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.backend.Backend;

import java.util.SplittableRandom;

/**
 * llama-bench's two measurements on a {@link Session}: prompt processing (a fresh sequence of
 * {@code promptTokens} appended in batches) and generation ({@code genTokens} appended one at a
 * time), each after {@code depth} tokens already in the cache (filled untimed, as llama-bench's
 * {@code -d}). Tokens are random ids; speed does not depend on them.
 */
public final class SpeedBenchmark {
    /** What to measure. */
    public record Settings(int promptTokens, int genTokens, int repetitions, int depth, int batch, ContextMethod method,
                           double warmUpSeconds) {
        public Settings(int promptTokens, int genTokens, int repetitions, int depth, int batch, ContextMethod method) {
            this(promptTokens, genTokens, repetitions, depth, batch, method, DEFAULT_WARM_UP_SECONDS);
        }
    }

    /** Untimed decoding before the first repetition, by default: long enough for C2's final CPU kernels. */
    public static final double DEFAULT_WARM_UP_SECONDS = 5;

    /** Tokens per second of each measurement; null where it was not asked for. */
    public record Result(Stats promptTokensPerSecond, Stats genTokensPerSecond) {
    }

    private SpeedBenchmark() {
    }

    public static Result run(Model model, Backend backend, Settings s) {
        int capacity = s.depth() + Math.max(s.promptTokens(), s.genTokens()) + 1;
        Session session = new Session(model, backend, s.method(), capacity, s.batch());
        SplittableRandom random = new SplittableRandom(42);
        int vocab = model.config().vocabSize();
        int[] depthTokens = random.ints(s.depth(), 0, vocab).toArray();
        int[] prompt = random.ints(s.promptTokens(), 0, vocab).toArray();
        int[] generated = random.ints(s.genTokens(), 0, vocab).toArray();
        // Warm-up, untimed: lets the JIT compile every kernel at both batch sizes, as llama-bench's warm-up run does.
        session.append(prompt, 0, Math.min(prompt.length, 2 * s.batch()), null);
        session.clear();
        // At least 32 steps and 5 s: C2 compiles the larger decode kernels only after a few seconds of
        // use (the integer kernels' final versions ~4-9 s into a run); timing before that measured the JIT.
        long warmUntil = System.nanoTime() + (long) (s.warmUpSeconds() * 1e9);
        for (int i = 0; i < 32 || System.nanoTime() < warmUntil; i++) {
            if (session.length() >= capacity - 1) {
                session.clear();
            }
            session.decode(generated.length > 0 ? generated[i % generated.length] : prompt[i % prompt.length]);
        }
        session.clear();
        double[] pp = new double[s.repetitions()];
        double[] tg = new double[s.repetitions()];
        for (int r = 0; r < s.repetitions(); r++) {
            if (s.promptTokens() > 0) {
                fill(session, depthTokens);
                long t0 = System.nanoTime();
                session.append(prompt, 0, prompt.length, null);
                pp[r] = prompt.length / ((System.nanoTime() - t0) / 1e9);
            }
            if (s.genTokens() > 0) {
                fill(session, depthTokens);
                long t0 = System.nanoTime();
                for (int token : generated) {
                    session.decode(token);
                }
                tg[r] = generated.length / ((System.nanoTime() - t0) / 1e9);
            }
        }
        return new Result(s.promptTokens() > 0 ? Stats.of(pp) : null, s.genTokens() > 0 ? Stats.of(tg) : null);
    }

    private static void fill(Session session, int[] depthTokens) {
        session.clear();
        if (depthTokens.length > 0) {
            session.append(depthTokens, 0, depthTokens.length, null);
        }
    }
}
