package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.attention.PositionScheme;
import dev.longlm.attention.SelfExtend;
import dev.longlm.generate.Session;
import dev.longlm.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model-level behaviour that llama.cpp cannot be asked about: Mistral's every-layer sliding window
 * (llama.cpp ignores {@code llama.attention.sliding_window}) and Self-Extend. The attention kernel
 * itself is checked against the naive Self-Extend reference, NeoX layout included, in
 * attention.SelfExtendAttentionTest; here the question is whether the model routes through it.
 */
class ArchitectureBehaviourTest {
    private static final CpuBackend CPU = new CpuBackend(2);

    @TempDir
    static Path dir;

    @AfterAll
    static void closePool() {
        CPU.close();
    }

    /** Every position's logits of {@code tokens}, appended in chunks of {@code batch}. */
    private static float[][] logits(Model model, PositionScheme scheme, int batch, int[] tokens) {
        int vocab = model.config().vocabSize();
        float[][] out = new float[tokens.length][];
        Session session = new Session(model, CPU, dev.longlm.attention.ContextMethod.of(scheme), tokens.length, batch);
        session.appendScoring(tokens, 0, tokens.length, (i, l, offset) -> out[i] = java.util.Arrays.copyOfRange(l, offset, offset + vocab), null);
        return out;
    }

    private static Model write(String name, TinyModels.Spec spec) throws IOException {
        Path file = dir.resolve(name + ".gguf");
        TinyModels.write(spec, null, file);
        return Model.load(file);
    }

    @Test
    void mistralSlidingWindowMasksFarKeysAndSelfExtendReplacesIt() throws IOException {
        int[] tokens = TinyModels.tokens();
        try (Model mistral = write("mistral", TinyModels.MISTRAL); Model llama = write("llama", TinyModels.LLAMA)) {
            assertEquals(16, mistral.config().attentionSpan(0, false));
            float[][] windowed = logits(mistral, PositionScheme.PLAIN, 64, tokens);
            float[][] full = logits(llama, PositionScheme.PLAIN, 64, tokens);
            for (int p = 0; p < 16; p++) {
                // Equal up to float summation order (the windowed kernel starts its tiles elsewhere).
                assertTrue(maxDifference(full[p], windowed[p]) < 1e-5, "position " + p + " sees no key beyond the window");
            }
            for (int p = 17; p < tokens.length; p++) {
                assertTrue(maxDifference(full[p], windowed[p]) > 1e-3, "position " + p + " must lose its far keys");
            }
            SelfExtend selfExtend = SelfExtend.of(4, 16);
            float[][] extendedMistral = logits(mistral, selfExtend, 64, tokens);
            float[][] extendedLlama = logits(llama, selfExtend, 64, tokens);
            for (int p = 0; p < tokens.length; p++) {
                assertTrue(maxDifference(extendedLlama[p], extendedMistral[p]) < 1e-5, "position " + p);
            }
        }
    }

    /**
     * Which schemes replace Mistral's every-layer window is decided by the scheme
     * ({@link PositionScheme#replacesSlidingWindow}): the methods that extend the context (llama.cpp's
     * Self-Extend approximation as much as the exact one) drop it; StreamingLLM, which keeps a window of
     * its own, leaves the model's in place.
     */
    @Test
    void contextExtendingSchemesReplaceMistralsWindowAndStreamingKeepsIt() throws IOException {
        int[] tokens = TinyModels.tokens();
        try (Model mistral = write("mistral-schemes", TinyModels.MISTRAL); Model llama = write("llama-schemes", TinyModels.LLAMA)) {
            PositionScheme approximation = new dev.longlm.attention.LlamaCppGroupedPositions(4, 16);
            float[][] approxMistral = logits(mistral, approximation, 64, tokens);
            float[][] approxLlama = logits(llama, approximation, 64, tokens);
            for (int p = 0; p < tokens.length; p++) {
                assertTrue(maxDifference(approxLlama[p], approxMistral[p]) < 1e-5, "llama.cpp approximation, position " + p);
            }
            PositionScheme streaming = new dev.longlm.attention.StreamingWindow(2, 40);
            float[][] streamMistral = logits(mistral, streaming, 64, tokens);
            float[][] streamLlama = logits(llama, streaming, 64, tokens);
            for (int p = 0; p < 16; p++) {
                assertTrue(maxDifference(streamLlama[p], streamMistral[p]) < 1e-5, "streaming, position " + p + " inside both windows");
            }
            for (int p = 17; p < tokens.length; p++) {
                assertTrue(maxDifference(streamLlama[p], streamMistral[p]) > 1e-3, "streaming keeps Mistral's window at position " + p);
            }
        }
    }

    @Test
    void qwen2SelfExtendIsChunkingInvariantAndPlainWithinTheWindow() throws IOException {
        int[] tokens = TinyModels.tokens();
        try (Model qwen = write("qwen2", TinyModels.CASES.stream().filter(c -> c.name().equals("qwen2")).findFirst().orElseThrow().spec())) {
            SelfExtend selfExtend = SelfExtend.of(4, 16);
            float[][] whole = logits(qwen, selfExtend, 64, tokens);
            float[][] chunked = logits(qwen, selfExtend, 7, tokens);
            float[][] plain = logits(qwen, PositionScheme.PLAIN, 64, tokens);
            for (int p = 0; p < tokens.length; p++) {
                assertTrue(maxDifference(whole[p], chunked[p]) < 1e-4, "chunking changed position " + p);
                if (p < 16) {
                    assertTrue(maxDifference(whole[p], plain[p]) < 1e-4, "position " + p + " is inside the window");
                }
            }
            assertTrue(maxDifference(whole[63], plain[63]) > 1e-3, "grouped positions must change far attention");
        }
    }

    @Test
    void unknownArchitectureNamesTheSupportedOnes() {
        InputException e = assertThrows(InputException.class, () -> Architecture.forName("mamba", Path.of("m.gguf")));
        assertTrue(e.getMessage().contains("llama, qwen2, qwen3, phi2, phi3, gemma, gemma2"), e.getMessage());
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
