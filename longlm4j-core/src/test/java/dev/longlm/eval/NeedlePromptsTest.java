package dev.longlm.eval;

import dev.longlm.InputException;
import dev.longlm.model.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NeedlePromptsTest {
    private static Model model;
    private static NeedlePrompts prompts;

    @BeforeAll
    static void load() throws Exception {
        model = ShippedModel.load();
        prompts = NeedlePrompts.of(model.tokenizer(), ShippedModel.sherlockHead(), NeedlePrompts.DEFAULT_NEEDLE,
                NeedlePrompts.DEFAULT_QUESTION);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void promptIsHaystackWithTheNeedleAtASentenceEndAndFillsTheLength() {
        int[] needle = model.tokenizer().encode("The pass key is 12345. Remember it. 12345 is the pass key.", false, false);
        int[] question = model.tokenizer().encode(NeedlePrompts.DEFAULT_QUESTION, false, false);
        for (double depth : new double[]{0, 0.5, 1}) {
            PasskeyPrompt p = prompts.build(512, "12345", depth);
            int[] t = p.tokens();
            assertEquals(512 - 5, t.length, "prompt + 5 answer digits = N");
            assertEquals(model.tokenizer().bosId(), t[0]);
            int cut = p.fillerBefore();
            assertArrayEquals(Arrays.copyOfRange(prompts.haystack(), 0, cut), Arrays.copyOfRange(t, 1, 1 + cut));
            assertArrayEquals(needle, Arrays.copyOfRange(t, 1 + cut, 1 + cut + needle.length));
            assertArrayEquals(question, Arrays.copyOfRange(t, t.length - question.length, t.length));
            int hay = p.fillerBefore() + p.fillerAfter();
            assertTrue(cut <= Math.round(hay * depth), "moved back, never forward");
            if (cut > 0) {
                assertTrue(model.tokenizer().tokenText(prompts.haystack()[cut - 1]).matches(".*([.!?]|<0x0A>)"));
            }
        }
        assertEquals(0, prompts.build(512, "12345", 0).fillerBefore());
    }

    @Test
    void tooShortHaystackIsAnInputError() {
        assertThrows(InputException.class, () -> prompts.build(100_000, "12345", 0.5));
        assertThrows(InputException.class, () -> NeedlePrompts.of(model.tokenizer(), "text", "no key here", "q"));
    }
}
