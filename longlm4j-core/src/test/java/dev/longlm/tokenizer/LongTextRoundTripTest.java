package dev.longlm.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * 100 KB of llama.cpp's test vectors concatenated decode back to themselves with every vocabulary
 * (the speed of this encoding is measured by the JMH TokenizerBenchmark, not asserted here).
 */
class LongTextRoundTripTest {
    static String longText() {
        StringBuilder sb = new StringBuilder();
        for (String v : VocabFixtures.vectors("llama-spm").stream().map(VocabFixtures.Vector::input).toList()) {
            sb.append(v).append('\n');
        }
        String chunk = sb.toString();
        StringBuilder text = new StringBuilder();
        while (text.length() < 100_000) {
            text.append(chunk);
        }
        return text.toString();
    }

    @Test
    void hundredKilobytesRoundTrip() {
        String input = longText();
        for (String vocab : LlamaCppVectorsTest.VOCABS) {
            Tokenizer tokenizer = VocabFixtures.tokenizer(vocab);
            assertEquals(input, tokenizer.decode(tokenizer.encode(input, false, false)), vocab);
        }
    }
}
