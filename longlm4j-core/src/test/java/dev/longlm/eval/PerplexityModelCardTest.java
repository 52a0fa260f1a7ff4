package dev.longlm.eval;

import dev.longlm.attention.ContextMethod;
import dev.longlm.model.Model;
import dev.longlm.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The perplexity table of models/MODEL_CARD.md (an independent PyTorch implementation): 4 windows of
 * sherlock.txt, BOS + text, windows of N + 1 tokens from stream index 1, every prediction scored.
 */
class PerplexityModelCardTest {
    private static Model model;
    private static CpuBackend backend;
    private static int[] stream;

    @BeforeAll
    static void load() throws Exception {
        model = ShippedModel.load();
        backend = new CpuBackend(Runtime.getRuntime().availableProcessors());
        stream = model.tokenizer().encode(ShippedModel.sherlockHead(), true, false);
    }

    @AfterAll
    static void close() {
        backend.close();
        model.close();
    }

    @ParameterizedTest(name = "N={0} G={1} W={2}: ppl {3}")
    @CsvSource({
            "256, 1, 0, 1036.7",
            "256, 8, 64, 1041.0",
            "512, 1, 0, 690.6",
            "512, 8, 64, 542.6",
    })
    void reproducesTheModelCard(int length, int groupSize, int window, double cardPpl) {
        ContextMethod method = groupSize == 1 ? ContextMethod.none() : ContextMethod.selfExtend(groupSize, window);
        PerplexityEval.Cell cell = PerplexityEval.run(model, method, stream, length, PerplexityProtocol.modelCard(4), backend, null);
        assertEquals(4, cell.windows());
        assertEquals(4L * length, cell.predictions());
        assertEquals(cardPpl, cell.perplexity(), cardPpl * 0.005);
    }
}
