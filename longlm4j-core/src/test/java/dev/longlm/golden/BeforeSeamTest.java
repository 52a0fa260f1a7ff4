package dev.longlm.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.attention.ContextMethod;
import dev.longlm.backend.cpu.CpuBackend;
import dev.longlm.eval.Scorer;
import dev.longlm.eval.TokenScore;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Today's engine against the engine before the backend seam (src/test/resources/golden/before-seam,
 * written at commit 663775f by {@code score --json}, 2 threads, as its README says): every token's
 * log-probability within 2e-5, on the bundled model, plain and under Self-Extend G8 W64.
 */
class BeforeSeamTest {
    private static final Path DIR = Path.of("src/test/resources/golden/before-seam");
    private static final Path MODEL = Path.of("models/pd-llama-13m-ctx256-f16.gguf");

    @ParameterizedTest
    @CsvSource({
            "../sherlock256.tokens, sherlock256-score-t2.json, 1, 0",
            "sherlock1024.tokens, sherlock1024-g8w64-score-t2.json, 8, 64"})
    void scoresEqualThePreSeamEngine(String tokensFile, String expectedFile, int groupSize, int window) throws IOException {
        int[] tokens = Arrays.stream(Files.readString(DIR.resolve(tokensFile)).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        JsonNode expected = new ObjectMapper().readTree(DIR.resolve(expectedFile).toFile()).get("tokens");
        assertEquals(tokens.length, expected.size());
        try (Model model = Model.load(MODEL); CpuBackend backend = new CpuBackend(2)) {
            Session session = Session.create(model, backend, ContextMethod.selfExtend(groupSize, window), Scorer.positionsNeeded(tokens.length));
            List<TokenScore> scores = Scorer.score(session, tokens, 0, null);
            double worst = 0;
            for (int i = 1; i < tokens.length; i++) {
                assertEquals(expected.get(i).get("id").asInt(), scores.get(i).id());
                double delta = Math.abs(expected.get(i).get("logprob").asDouble() - scores.get(i).logprob());
                worst = Math.max(worst, delta);
                assertEquals(expected.get(i).get("logprob").asDouble(), scores.get(i).logprob(), 2e-5, "token " + i);
            }
            System.out.printf("%s: max |Δ logprob| vs the pre-seam engine = %.2e%n", expectedFile, worst);
        }
    }
}
