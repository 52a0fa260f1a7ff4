package dev.longlm.generate;

import dev.longlm.attention.ContextMethod;
import dev.longlm.model.Model;
import dev.longlm.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On the shipped model: a batched decode step over sequences of different lengths and context methods
 * gives every sequence the logits its own single-sequence {@link Session#decode} gives (the reference),
 * step after step, and leaves the caches where decoding alone would.
 */
class BatchDecoderTest {
    static final Path MODEL = Path.of("models/pd-llama-13m-ctx256-f16.gguf");
    private static final int STEPS = 6;
    private static Model model;
    private static CpuBackend backend;

    @BeforeAll
    static void load() {
        model = Model.load(MODEL);
        backend = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        backend.close();
        model.close();
    }

    /** A sequence: its method, prompt length (past the trained 256 for the extended ones) and decoded tokens. */
    private record Sequence(ContextMethod method, int promptLength, int seed) {
    }

    private static final List<Sequence> SEQUENCES = List.of(
            new Sequence(ContextMethod.none(), 41, 1),
            new Sequence(ContextMethod.selfExtend(4, 32), 300, 2),
            new Sequence(ContextMethod.dynamicNtk(2), 270, 3),
            new Sequence(ContextMethod.selfExtendLlamaCpp(4, 32), 150, 4));

    private static int[] tokens(int count, int seed) {
        int[] tokens = new Random(seed).ints(count, 3, model.config().vocabSize()).toArray();
        tokens[0] = 1;
        return tokens;
    }

    @Test
    void batchedStepEqualsEachSessionsOwnDecode() {
        int vocab = model.config().vocabSize();
        List<Session> batched = new ArrayList<>();
        List<Session> alone = new ArrayList<>();
        List<int[]> continuations = new ArrayList<>();
        for (Sequence s : SEQUENCES) {
            int[] prompt = tokens(s.promptLength(), s.seed());
            int capacity = s.promptLength() + STEPS + 3; // different capacities too
            for (List<Session> group : List.of(batched, alone)) {
                Session session = Session.create(model, backend, s.method(), capacity);
                session.append(prompt);
                group.add(session);
            }
            continuations.add(tokens(STEPS, 100 + s.seed()));
        }
        BatchDecoder decoder = new BatchDecoder(model, backend, SEQUENCES.size());
        for (int step = 0; step < STEPS; step++) {
            int[] next = new int[SEQUENCES.size()];
            for (int i = 0; i < next.length; i++) {
                next[i] = continuations.get(i)[step];
            }
            float[] logits = decoder.decode(batched, next);
            for (int i = 0; i < next.length; i++) {
                float[] expected = alone.get(i).decode(next[i]);
                float[] actual = Arrays.copyOfRange(logits, decoder.logitsOffset(i), decoder.logitsOffset(i) + vocab);
                for (int v = 0; v < vocab; v++) {
                    assertEquals(expected[v], actual[v], 1e-5,
                            SEQUENCES.get(i).method().describe() + ", step " + step + ", token " + v);
                }
                assertEquals(alone.get(i).length(), batched.get(i).length());
            }
        }
    }

    @Test
    void aBatchOfOneEqualsDecodeAndRowsMayChangeBetweenSteps() {
        int vocab = model.config().vocabSize();
        int[] prompt = tokens(60, 7);
        Session a = Session.create(model, backend, ContextMethod.selfExtend(2, 16), 80);
        Session b = Session.create(model, backend, ContextMethod.selfExtend(2, 16), 80);
        Session other = Session.create(model, backend, ContextMethod.none(), 80);
        a.append(prompt);
        b.append(prompt);
        other.append(tokens(20, 8));
        BatchDecoder decoder = new BatchDecoder(model, backend, 2);
        int[] next = tokens(4, 9);
        for (int step = 0; step < next.length; step++) {
            // The sequence joins a batch with another one on odd steps and runs alone on even ones.
            List<Session> sessions = step % 2 == 0 ? List.of(a) : List.of(other, a);
            int[] batchTokens = step % 2 == 0 ? new int[]{next[step]} : new int[]{5, next[step]};
            float[] logits = decoder.decode(sessions, batchTokens);
            int offset = decoder.logitsOffset(sessions.size() - 1);
            float[] expected = b.decode(next[step]);
            for (int v = 0; v < vocab; v++) {
                assertEquals(expected[v], logits[offset + v], 1e-5, "step " + step + ", token " + v);
            }
        }
    }
}
