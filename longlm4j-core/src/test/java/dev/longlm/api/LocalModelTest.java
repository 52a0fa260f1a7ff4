package dev.longlm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.InputException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public API on the bundled model against llama.cpp's outputs (the fixtures LlamaCppGoldenTest reads). */
class LocalModelTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalModel model;

    @BeforeAll
    static void load() {
        model = LocalModel.load(Path.of("models/pd-llama-13m-ctx256-f16.gguf"), Device.cpu(2));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void greedyGenerationStreamsLlamaCppsText() throws IOException {
        JsonNode golden = JSON.readTree(GOLDEN.resolve("greedy-once-upon-a-time.json").toFile());
        int tokens = golden.get("tokens").size();
        StringBuilder streamed = new StringBuilder();
        GenerationResult result = model.generate(golden.get("prompt").asText(), GenerationOptions.greedy(tokens), streamed::append);
        assertEquals(golden.get("text").asText(), result.text());
        assertEquals(result.text(), streamed.toString());
        assertEquals(golden.get("prompt_tokens").size(), result.promptTokens());
        assertEquals(tokens, result.outputTokens());
        assertEquals(FinishReason.LENGTH, result.finishReason());
        assertEquals("none", result.contextMethod());
    }

    @Test
    void cancellingFromTheListenerStopsAfterThatToken() throws IOException {
        JsonNode golden = JSON.readTree(GOLDEN.resolve("greedy-once-upon-a-time.json").toFile());
        Cancellation cancellation = new Cancellation();
        GenerationResult result = model.generate(golden.get("prompt").asText(),
                GenerationOptions.greedy(32).withCancellation(cancellation), piece -> cancellation.cancel());
        assertEquals(FinishReason.CANCELLED, result.finishReason());
        assertTrue(result.outputTokens() < 32, result.outputTokens() + " tokens");
        assertTrue(golden.get("text").asText().startsWith(result.text()), result.text());
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() throws IOException {
        JsonNode golden = JSON.readTree(GOLDEN.resolve("greedy-once-upon-a-time.json").toFile());
        String full = golden.get("text").asText();
        String stop = full.substring(full.length() / 2, full.length() / 2 + 4);
        GenerationResult result = model.generate(golden.get("prompt").asText(),
                GenerationOptions.greedy(golden.get("tokens").size()).withStop(List.of(stop)), TokenListener.NONE);
        assertEquals(full.substring(0, full.indexOf(stop)), result.text());
        assertEquals(FinishReason.STOP, result.finishReason());
    }

    /**
     * llama.cpp scored sherlock256.tokens on the same F16 file; the tolerances are LlamaCppGoldenTest's. The
     * fixture is the first 256 tokens of a longer text: its decoded text re-encodes to them except the last
     * (cut mid-word), so the first 254 predictions are compared.
     */
    @Test
    void scoringMatchesLlamaCppsLogProbabilities() throws IOException {
        int[] tokens = Arrays.stream(Files.readString(GOLDEN.resolve("sherlock256.tokens")).trim().split("\\s+"))
                .mapToInt(Integer::parseInt).toArray();
        String text = model.model().tokenizer().decode(tokens).stripLeading(); // decode keeps the space SentencePiece adds
        int compared = tokens.length - 1;
        int[] encoded = model.model().tokenizer().encode(text, true, false);
        assertArrayEquals(Arrays.copyOf(tokens, compared), Arrays.copyOf(encoded, compared), "the text re-encodes to the fixture");
        TextScore score = model.score(text, ContextChoice.none());
        JsonNode expected = JSON.readTree(GOLDEN.resolve("sherlock256-score.json").toFile()).get("tokens");
        double[] ours = score.logProbabilities();
        assertEquals(encoded.length - 1, ours.length);
        assertEquals(encoded.length, score.tokens());
        double sum = 0;
        double max = 0;
        for (int i = 1; i < compared; i++) {
            double theirs = expected.get(i).get("logprob").asDouble();
            double d = Math.abs(theirs - ours[i - 1]);
            sum += d;
            max = Math.max(max, d);
        }
        assertTrue(sum / (compared - 1) < 2.5e-3, "mean |Δ logprob| " + sum / (compared - 1));
        assertTrue(max < 2e-2, "max |Δ logprob| " + max);
        assertEquals(Math.exp(-Arrays.stream(ours).average().orElseThrow()), score.perplexity(), 1e-9);
    }

    /**
     * 400 positions on a model trained on 256: the authors' rule with W = 256/4 = 64 needs
     * 64 + 336/G <= 170.67, so G >= 3.15, and the smallest divisor of 64 from there is 4.
     */
    @Test
    void selfExtendAutoPicksGroupSizeFromTheLength() {
        String prompt = "The cat sat on the mat. ".repeat(50);
        int promptTokens = model.countTokens(prompt) + 1;
        GenerationOptions options = GenerationOptions.greedy(8).withContextLength(400);
        assertTrue(promptTokens > 256 && promptTokens < 392, promptTokens + " prompt tokens");
        GenerationResult result = model.generate(prompt, options.withContext(ContextChoice.selfExtend()), TokenListener.NONE);
        assertEquals("self-extend G4 W64", result.contextMethod());
        assertEquals(8, result.outputTokens());
        InputException plain = assertThrows(InputException.class, () -> model.generate(prompt, options, TokenListener.NONE));
        assertTrue(plain.getMessage().contains("400"), plain.getMessage());
    }

    @Test
    void badRequestsSayWhatToChange() {
        InputException full = assertThrows(InputException.class,
                () -> model.generate("Once upon a time", GenerationOptions.greedy(4).withContextLength(3), TokenListener.NONE));
        assertEquals("a prompt of 5 tokens leaves no room to generate in a context of 3 positions; raise contextLength"
                + " or leave it 0 (prompt + maxTokens)", full.getMessage());
        InputException missing = assertThrows(InputException.class, () -> LocalModel.load(Path.of("no-such.gguf")));
        assertTrue(missing.getMessage().contains("no-such.gguf"), missing.getMessage());
    }

    @Test
    void infoReadsTheFilesMetadata() {
        assertEquals(new ModelInfo("llama", 256, 32000, model.info().layers(), "cpu"), model.info());
    }
}
