package dev.longlm.generate;

import dev.longlm.attention.ContextMethod;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvStore;
import dev.longlm.backend.cpu.CpuBackend;
import dev.longlm.model.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session that keeps the prefix a store shares with its input gives the log-probabilities of a fresh
 * session reading the whole input (within 1e-5), under every kind of position scheme, on the CPU backend
 * with F32 and F16 stores. The Self-Extend and ReRoPE cases keep a prefix shorter than what the store
 * holds, so their W-slot window is stale and only a ring with every true-position key gives the right
 * answer: the control case shows that keeping it with a stale ring is off by far more than the tolerance.
 */
class PrefixReuseTest {
    private static final Path MODEL = Path.of("models/pd-llama-13m-ctx256-f16.gguf");
    private static final int CAPACITY = 420;
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(MODEL);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Stream<Arguments> methods() {
        return Stream.of(ContextMethod.none(), ContextMethod.selfExtend(4, 32), ContextMethod.rerope(48),
                ContextMethod.dualChunk(128, 64), ContextMethod.streaming(4, 96), ContextMethod.yarn(2, 1, 32))
                .flatMap(m -> Stream.of(Arguments.of(m, false), Arguments.of(m, true)));
    }

    private static int[] tokens(int count, int seed) {
        int[] tokens = new Random(seed).ints(count, 3, model.config().vocabSize()).toArray();
        tokens[0] = 1;
        return tokens;
    }

    /** Log-probability of each token of {@code input} from {@code from} on, given the ones before it. */
    private static double[] logprobs(Session session, int[] input, int from) {
        double[] out = new double[input.length - from];
        int vocab = model.config().vocabSize();
        session.appendScoring(input, from, input.length - from - 1, (i, logits, offset) -> {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, logits[offset + v]);
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                sum += Math.exp(logits[offset + v] - max);
            }
            out[i + 1] = logits[offset + input[from + i + 1]] - max - Math.log(sum);
        }, null);
        return out;
    }

    private static int[] firstRequest() {
        return tokens(330, 11);
    }

    /** Shares the first request's first 250 tokens, then goes elsewhere. */
    private static int[] secondRequest() {
        int[] second = Arrays.copyOf(firstRequest(), 380);
        int[] other = tokens(130, 12);
        System.arraycopy(other, 0, second, 250, 130);
        return second;
    }

    @ParameterizedTest(name = "{0}, F16 store: {1}")
    @MethodSource("methods")
    void keptPrefixGivesTheFreshLogprobs(ContextMethod method, boolean f16) {
        try (Backend backend = f16 ? CpuBackend.withF16Cache(2) : new CpuBackend(2)) {
            KvStore store = backend.kvStore(Session.shape(model.config(), CAPACITY, method.positionScheme()));
            int[] first = firstRequest();
            Session earlier = new Session(model, backend, method, store, CAPACITY, 64, new Session.StoreUse(CachedTokens.EMPTY, 0, true));
            earlier.append(first, 0, first.length, null);
            for (int t : tokens(20, 13)) {
                earlier.decode(t); // generated tokens are cached too
            }
            CachedTokens cached = earlier.cachedTokens();
            earlier.close();
            assertEquals(350, cached.length());

            int[] second = secondRequest();
            int keep = cached.reusable(Session.schemeKey(model, method, CAPACITY), second);
            assertEquals(250, keep, "the shared prefix");
            Session resumed = new Session(model, backend, method, store, CAPACITY, 64, new Session.StoreUse(cached, keep, true));
            assertEquals(keep, resumed.length());
            double[] reused = logprobs(resumed, second, keep);

            Session fresh = Session.create(model, backend, method, CAPACITY);
            fresh.append(second, 0, keep, null);
            double[] expected = logprobs(fresh, second, keep);
            for (int i = 1; i < expected.length; i++) {
                assertEquals(expected[i], reused[i], 1e-5, "position " + (keep + i));
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(Arrays.copyOf(second, second.length - 1), resumed.tokens(),
                    "the resumed session's tokens");
        }
    }

    @Test
    void aWindowRingKeepsOnlyExtensionsOfTheWholeCache() {
        ContextMethod method = ContextMethod.selfExtend(4, 32);
        try (Backend backend = new CpuBackend(2)) {
            KvStore store = backend.kvStore(Session.shape(model.config(), CAPACITY, method.positionScheme()));
            int[] first = firstRequest();
            Session earlier = new Session(model, backend, method, store, CAPACITY, 64, Session.StoreUse.FRESH);
            earlier.append(first, 0, first.length, null);
            CachedTokens cached = earlier.cachedTokens();
            String key = Session.schemeKey(model, method, CAPACITY);
            assertEquals(first.length - 32, cached.trueKeysFrom());
            assertEquals(0, cached.reusable(key, secondRequest()), "a shorter prefix needs true-position keys the ring lost");
            int[] extended = Arrays.copyOf(first, 360);
            System.arraycopy(tokens(30, 14), 0, extended, 330, 30);
            assertEquals(330, cached.reusable(key, extended));
            assertEquals(0, cached.reusable(Session.schemeKey(model, ContextMethod.selfExtend(8, 32), CAPACITY), extended),
                    "another scheme");
            assertEquals(0, cached.reusable(Session.schemeKey(model, ContextMethod.dynamicNtk(2), CAPACITY), extended),
                    "a RoPE that changes with the length");

            Session resumed = new Session(model, backend, method, store, CAPACITY, 64, new Session.StoreUse(cached, 330, false));
            double[] reused = logprobs(resumed, extended, 330);
            Session fresh = Session.create(model, backend, method, CAPACITY);
            fresh.append(extended, 0, 330, null);
            double[] expected = logprobs(fresh, extended, 330);
            for (int i = 1; i < expected.length; i++) {
                assertEquals(expected[i], reused[i], 1e-5, "position " + (330 + i));
            }
        }
    }

    /** The control: the same shorter prefix kept with the stale W-slot ring (its reach misreported) is wrong. */
    @Test
    void aStaleRingWouldBeWrong() {
        ContextMethod method = ContextMethod.selfExtend(4, 32);
        try (Backend backend = new CpuBackend(2)) {
            KvStore store = backend.kvStore(Session.shape(model.config(), CAPACITY, method.positionScheme()));
            Session earlier = new Session(model, backend, method, store, CAPACITY, 64, Session.StoreUse.FRESH);
            int[] first = firstRequest();
            earlier.append(first, 0, first.length, null);
            CachedTokens real = earlier.cachedTokens();
            CachedTokens misreported = new CachedTokens(real.tokens(), real.schemeKey(), 0, real.window());
            int[] second = secondRequest();
            Session resumed = new Session(model, backend, method, store, CAPACITY, 64, new Session.StoreUse(misreported, 250, false));
            double[] reused = logprobs(resumed, second, 250);
            Session fresh = Session.create(model, backend, method, CAPACITY);
            fresh.append(second, 0, 250, null);
            double[] expected = logprobs(fresh, second, 250);
            double worst = 0;
            for (int i = 1; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - reused[i]));
            }
            assertTrue(worst > 1e-3, "a stale ring changes the log-probabilities, by " + worst);
        }
    }
}
