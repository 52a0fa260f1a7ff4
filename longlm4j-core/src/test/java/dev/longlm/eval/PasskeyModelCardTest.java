package dev.longlm.eval;

import dev.longlm.attention.ContextMethod;
import dev.longlm.model.Model;
import dev.longlm.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Passkey cells of the model card's table with 20 trials: at N = 512 plain attention (0.65: the
 * needle is lost once it is more than the trained 256 positions back) and Self-Extend G16 W64 (0.95);
 * at N = 1024 Self-Extend G8 W128 (0.70), a cell that also checks the exercise's layout (with the
 * filler repeats joined by spaces instead of lines it scores 0.95). The keys differ from the card's,
 * so the tolerance is the ±0.15 sampling noise of 20 trials.
 */
class PasskeyModelCardTest {
    private static final int LENGTH = 512;
    private static final int TRIALS = 20;
    private static Model model;
    private static CpuBackend backend;
    private static List<PasskeyPrompt> prompts;

    @BeforeAll
    static void load() {
        model = ShippedModel.load();
        backend = new CpuBackend(Runtime.getRuntime().availableProcessors());
        prompts = PasskeyPrompts.build(model.tokenizer(), LENGTH, TRIALS, null, 0, 42);
    }

    @AfterAll
    static void close() {
        backend.close();
        model.close();
    }

    @Test
    void plainAttentionAt512() {
        assertEquals(0.65, PasskeyEval.run(model, ContextMethod.none(), LENGTH, prompts, backend, null).accuracy(), 0.15);
    }

    @Test
    void selfExtendG16W64At512() {
        assertEquals(0.95, PasskeyEval.run(model, ContextMethod.selfExtend(16, 64), LENGTH, prompts, backend, null).accuracy(), 0.15);
    }

    @Test
    void selfExtendG8W128At1024() {
        List<PasskeyPrompt> longer = PasskeyPrompts.build(model.tokenizer(), 1024, TRIALS, null, 0, 42);
        assertEquals(0.70, PasskeyEval.run(model, ContextMethod.selfExtend(8, 128), 1024, longer, backend, null).accuracy(), 0.15);
    }
}
