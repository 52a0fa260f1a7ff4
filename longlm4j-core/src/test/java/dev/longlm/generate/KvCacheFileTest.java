package dev.longlm.generate;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.backend.Backend;
import dev.longlm.backend.KvStore;
import dev.longlm.backend.cpu.CpuBackend;
import dev.longlm.model.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A store saved to a file and loaded into another backend's store continues exactly as the original
 * (the next logits equal, bit for bit on the CPU), with any ring size on either side; a file for
 * another model, element type or scheme, and a truncated or altered one, are refused with one line.
 */
class KvCacheFileTest {
    private static final Path MODEL = Path.of("models/pd-llama-13m-ctx256-f16.gguf");
    private static final int CAPACITY = 400;
    private static Model model;
    @TempDir
    Path folder;

    @BeforeAll
    static void load() {
        model = Model.load(MODEL);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int[] tokens(int count, int seed) {
        int[] tokens = new Random(seed).ints(count, 3, model.config().vocabSize()).toArray();
        tokens[0] = 1;
        return tokens;
    }

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of(ContextMethod.none(), false, false), Arguments.of(ContextMethod.selfExtend(4, 32), true, false),
                Arguments.of(ContextMethod.selfExtend(4, 32), false, true), Arguments.of(ContextMethod.selfExtend(4, 32), true, true),
                Arguments.of(ContextMethod.rerope(48), false, false));
    }

    @ParameterizedTest(name = "{0}: every true key saved {1}, loaded {2}")
    @MethodSource("cases")
    void aLoadedStoreContinuesAsTheSavedOne(ContextMethod method, boolean savedEveryKey, boolean loadedEveryKey) {
        Path file = folder.resolve("slot.bin");
        int[] prompt = tokens(300, 21);
        int[] next = tokens(12, 22);
        float[] expected;
        try (Backend backend = new CpuBackend(2)) {
            KvStore store = backend.kvStore(Session.shape(model.config(), CAPACITY, method.positionScheme()));
            Session original = new Session(model, backend, method, store, CAPACITY, 64, new Session.StoreUse(CachedTokens.EMPTY, 0, savedEveryKey));
            original.append(prompt, 0, prompt.length, null);
            KvCacheFile.save(file, model, backend, store, original.cachedTokens(), method.describe());
            expected = original.append(next, 0, next.length, null).clone();
        }
        try (Backend backend = new CpuBackend(2)) {
            KvCacheFile.Header header = KvCacheFile.readHeader(file, model, dev.longlm.backend.KvElement.F32);
            assertArrayEquals(prompt, header.cached().tokens());
            KvStore store = backend.kvStore(Session.shape(model.config(), CAPACITY, method.positionScheme()));
            int window = method.positionScheme().ringSlots();
            int ring = window == 0 ? 0 : loadedEveryKey ? CAPACITY : window;
            CachedTokens loaded = KvCacheFile.load(file, header, backend, store, ring);
            assertEquals(prompt.length, store.length());
            int[] extended = Arrays.copyOf(prompt, prompt.length + next.length);
            System.arraycopy(next, 0, extended, prompt.length, next.length);
            String key = Session.schemeKey(model, method, CAPACITY);
            assertEquals(prompt.length, loaded.reusable(key, extended));
            Session continued = new Session(model, backend, method, store, CAPACITY, 64,
                    new Session.StoreUse(loaded, prompt.length, loadedEveryKey));
            float[] logits = continued.append(next, 0, next.length, null);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], logits[i], 1e-5f, "logit " + i);
            }
            if (window > 0 && savedEveryKey && loadedEveryKey) {
                assertEquals(200, loaded.reusable(key, Arrays.copyOf(prompt, 201)), "a shorter prefix keeps its window too");
            }
        }
    }

    private Path saved(ContextMethod method, Backend backend) {
        Path file = folder.resolve("saved.bin");
        KvStore store = backend.kvStore(Session.shape(model.config(), CAPACITY, method.positionScheme()));
        Session session = new Session(model, backend, method, store, CAPACITY, 64, Session.StoreUse.FRESH);
        session.append(tokens(100, 23), 0, 100, null);
        KvCacheFile.save(file, model, backend, store, session.cachedTokens(), method.describe());
        return file;
    }

    @Test
    void filesThatDoNotFitAreRefusedWithOneLine() throws IOException {
        ContextMethod method = ContextMethod.selfExtend(4, 32);
        try (Backend backend = new CpuBackend(2)) {
            Path file = saved(method, backend);
            byte[] bytes = Files.readAllBytes(file);

            Path other = folder.resolve("other.gguf");
            Files.write(other, Arrays.copyOf(Files.readAllBytes(MODEL), (int) Files.size(MODEL) + 64));
            try (Model otherModel = Model.load(other)) {
                String message = assertThrows(InputException.class,
                        () -> KvCacheFile.readHeader(file, otherModel, dev.longlm.backend.KvElement.F32)).getMessage();
                assertTrue(message.contains("computed by another model") && message.contains("pd-llama-13m-ctx256-f16.gguf"), message);
            }
            String element = assertThrows(InputException.class,
                    () -> KvCacheFile.readHeader(file, model, dev.longlm.backend.KvElement.F16)).getMessage();
            assertTrue(element.contains("holds F32") && element.contains("--kv-type f32"), element);

            KvCacheFile.Header header = KvCacheFile.readHeader(file, model, dev.longlm.backend.KvElement.F32);
            String scheme = assertThrows(InputException.class, () -> KvCacheFile.requireScheme(file, header,
                    Session.schemeKey(model, ContextMethod.none(), CAPACITY), "none")).getMessage();
            assertTrue(scheme.contains("'self-extend G4 W32'") && scheme.contains("this run uses 'none'"), scheme);

            for (int cut : new int[]{1, bytes.length / 2, 20, 60}) {
                Path truncated = folder.resolve("truncated-" + cut + ".bin");
                Files.write(truncated, Arrays.copyOf(bytes, bytes.length - cut));
                String message = assertThrows(InputException.class,
                        () -> KvCacheFile.readHeader(truncated, model, dev.longlm.backend.KvElement.F32)).getMessage();
                assertTrue(message.contains("truncated") && !message.contains("\n"), cut + ": " + message);
            }

            byte[] altered = bytes.clone();
            altered[bytes.length - 100] ^= 1;
            Path corrupt = folder.resolve("corrupt.bin");
            Files.write(corrupt, altered);
            KvCacheFile.Header alteredHeader = KvCacheFile.readHeader(corrupt, model, dev.longlm.backend.KvElement.F32);
            KvStore store = backend.kvStore(Session.shape(model.config(), CAPACITY, method.positionScheme()));
            String checksum = assertThrows(InputException.class, () -> KvCacheFile.load(corrupt, alteredHeader, backend, store, 32))
                    .getMessage();
            assertTrue(checksum.contains("corrupt"), checksum);
            assertEquals(0, store.length(), "a refused file leaves the store empty");

            Path text = folder.resolve("notes.txt");
            Files.writeString(text, "hello, this is not a cache");
            assertTrue(assertThrows(InputException.class, () -> KvCacheFile.readHeader(text, model, dev.longlm.backend.KvElement.F32))
                    .getMessage().contains("not a longlm KV cache file"));
        }
    }

    @Test
    void anF16StoreRoundTripsExactly() {
        ContextMethod method = ContextMethod.selfExtend(4, 32);
        try (Backend backend = CpuBackend.withF16Cache(2)) {
            Path file = saved(method, backend);
            KvCacheFile.Header header = KvCacheFile.readHeader(file, model, dev.longlm.backend.KvElement.F16);
            KvStore store = backend.kvStore(Session.shape(model.config(), CAPACITY, method.positionScheme()));
            KvCacheFile.load(file, header, backend, store, 32);
            Path again = folder.resolve("again.bin");
            KvCacheFile.save(again, model, backend, store, new CachedTokens(header.cached().tokens(), header.schemeKey(),
                    header.cached().trueKeysFrom(), 32), method.describe());
            try {
                assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again), "saved, loaded and saved again: the same bytes");
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }
}
