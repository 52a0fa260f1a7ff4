package dev.longlm.generate;

import dev.longlm.attention.ContextMethod;
import dev.longlm.model.Model;
import dev.longlm.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On the shipped model: prefill all at once, in chunks, and token by token give the same logits at
 * every position, under plain attention and Self-Extend (positions are absolute, and the window ring
 * carries true-position keys across chunk boundaries).
 */
class SessionChunkingTest {
    static final Path MODEL = Path.of("models/pd-llama-13m-ctx256-f16.gguf");
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

    private static float[][] logitsPerPosition(ContextMethod method, int[] tokens, int batch) {
        int vocab = model.config().vocabSize();
        float[][] all = new float[tokens.length][];
        Session session = new Session(model, backend, method, tokens.length, batch);
        int done = 0;
        // A second prompt appended to an existing cache: split the input in two appends as a chat turn would.
        int firstPart = tokens.length / 3;
        for (int[] range : new int[][]{{0, firstPart}, {firstPart, tokens.length}}) {
            int base = range[0];
            session.appendScoring(tokens, range[0], range[1] - range[0],
                    (i, logits, offset) -> all[base + i] = java.util.Arrays.copyOfRange(logits, offset, offset + vocab), null);
            done += range[1] - range[0];
        }
        assertEquals(tokens.length, done);
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "self-extend"})
    void allAtOnceEqualsChunkedEqualsTokenByToken(String methodName) {
        ContextMethod method = methodName.equals("none") ? ContextMethod.none() : ContextMethod.selfExtend(4, 32);
        int[] tokens = new Random(3).ints(methodName.equals("none") ? 200 : 330, 3, 32000).toArray();
        tokens[0] = 1;
        float[][] whole = logitsPerPosition(method, tokens, tokens.length);
        float[][] chunked = logitsPerPosition(method, tokens, 37);
        float[][] single = logitsPerPosition(method, tokens, 1);
        for (int p = 0; p < tokens.length; p++) {
            for (int v = 0; v < whole[p].length; v += 7) {
                assertEquals(whole[p][v], chunked[p][v], 1e-4, "chunked, position " + p);
                assertEquals(whole[p][v], single[p][v], 1e-4, "token by token, position " + p);
            }
        }
    }
}
