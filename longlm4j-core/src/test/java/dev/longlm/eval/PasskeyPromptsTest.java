package dev.longlm.eval;

import dev.longlm.InputException;
import dev.longlm.model.Model;
import dev.longlm.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PasskeyPromptsTest {
    private static Model model;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        model = ShippedModel.load();
        tokenizer = model.tokenizer();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void textIsTheLongLmLayout() {
        String f = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
        assertEquals("There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. "
                        + "I will quiz you about the important information there.\n"
                        + f + "\n" + f + "\n"
                        + "The pass key is 123. Remember it. 123 is the pass key.\n"
                        + f + "\n"
                        + "What is the pass key? The pass key is ",
                PasskeyFormat.text("123", 2, 1));
    }

    @Test
    void promptEndsWithTheSpaceTokenSoTheAnswerIsDigits() {
        PasskeyPrompt p = PasskeyPrompts.build(tokenizer, 512, "4711", 0.5);
        int[] t = p.tokens();
        assertEquals(tokenizer.bosId(), t[0]);
        // "▁is", "▁": the key's digits follow directly, one token each.
        assertEquals("▁", tokenizer.tokenText(t[t.length - 1]));
        assertEquals("▁is", tokenizer.tokenText(t[t.length - 2]));
    }

    @Test
    void fillerIsAsLongAsFitsWithRoomForTheAnswer() {
        for (int length : new int[]{256, 512, 1024, 4096}) {
            for (String key : List.of("123", "12345", "12345678")) {
                PasskeyPrompt p = PasskeyPrompts.build(tokenizer, length, key, 0.3);
                int repeats = p.fillerBefore() + p.fillerAfter();
                assertTrue(p.tokens().length + key.length() <= length, length + " " + key);
                // One more repeat would not fit.
                int before = (int) Math.round((repeats + 1) * 0.3);
                int longer = tokenizer.encode(PasskeyFormat.text(key, before, repeats + 1 - before), true, false).length;
                assertTrue(longer + key.length() > length, length + " " + key);
                // About 25 tokens per repeat: the prompt wastes less than one repeat.
                assertTrue(length - p.tokens().length - key.length() < 26, length + " " + key);
                assertArrayEquals(tokenizer.encode(p.text(), true, false), p.tokens());
            }
        }
    }

    @Test
    void needleDepthsAreEvenlySpaced() {
        List<PasskeyPrompt> prompts = PasskeyPrompts.build(tokenizer, 1024, 4, null, 5, 7);
        double[] depths = prompts.stream().mapToDouble(PasskeyPrompt::depth).toArray();
        assertArrayEquals(new double[]{0.125, 0.375, 0.625, 0.875}, depths, 1e-12);
        for (PasskeyPrompt p : prompts) {
            int repeats = p.fillerBefore() + p.fillerAfter();
            assertEquals(Math.round(repeats * p.depth()), p.fillerBefore());
            // The needle's token position follows its depth in the prompt.
            int needleAt = p.text().indexOf("The pass key is");
            double relative = (double) needleAt / p.text().length();
            assertEquals(p.depth(), relative, 0.05);
        }
        List<PasskeyPrompt> given = PasskeyPrompts.build(tokenizer, 512, 3, new double[]{0, 1}, 0, 7);
        assertEquals(0, given.get(0).fillerBefore());
        assertEquals(0, given.get(1).fillerAfter());
        assertEquals(0, given.get(2).fillerBefore());
    }

    @Test
    void keysHaveThreeToEightDigitsHalfOfThemFive() {
        List<String> keys = PasskeyPrompts.keys(1, 1000, 0);
        int[] byDigits = new int[10];
        for (String k : keys) {
            assertTrue(k.matches("[1-9][0-9]*"), k);
            byDigits[k.length()]++;
        }
        assertTrue(byDigits[5] >= 500, Arrays.toString(byDigits));
        assertEquals(0, byDigits[0] + byDigits[1] + byDigits[2] + byDigits[9]);
        for (int d : new int[]{3, 4, 6, 7, 8}) {
            assertTrue(byDigits[d] > 60 && byDigits[d] < 140, d + " digits: " + byDigits[d]);
        }
        // Even trials are always 5 digits.
        for (int i = 0; i < keys.size(); i += 2) {
            assertEquals(5, keys.get(i).length());
        }
        assertEquals(keys, PasskeyPrompts.keys(1, 1000, 0));
        assertTrue(PasskeyPrompts.keys(2, 50, 7).stream().allMatch(k -> k.length() == 7));
    }

    @Test
    void judgesTheGeneratedDigits() {
        PasskeyPrompt p = new PasskeyPrompt("", new int[0], "4711", 0.5, 0, 0);
        assertTrue(PasskeyAnswer.judge(p, "4711").correct());
        assertTrue(PasskeyAnswer.judge(p, " 47 11").correct());
        assertEquals(false, PasskeyAnswer.judge(p, "471.").correct());
        assertEquals(false, PasskeyAnswer.judge(p, "47111").correct());
    }

    @Test
    void tooShortIsAnInputError() {
        assertThrows(InputException.class, () -> PasskeyPrompts.build(tokenizer, 40, "12345", 0.5));
        assertThrows(InputException.class, () -> PasskeyPrompts.build(tokenizer, 256, "12345", 1.5));
        assertThrows(InputException.class, () -> PasskeyPrompts.keys(1, 3, 40));
    }
}
