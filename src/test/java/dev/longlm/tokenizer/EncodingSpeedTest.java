package dev.longlm.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Encoding 100 KB must stay fast: tokenizing a long prompt should not be noticeable. */
class EncodingSpeedTest {

    @Test
    void hundredKilobytesEncodeWellUnderASecond() {
        StringBuilder sb = new StringBuilder();
        for (String v : VocabFixtures.vectors("llama-spm").stream().map(VocabFixtures.Vector::input).toList()) {
            sb.append(v).append('\n');
        }
        String chunk = sb.toString();
        StringBuilder text = new StringBuilder();
        while (text.length() < 100_000) {
            text.append(chunk);
        }
        String input = text.toString();
        for (String vocab : LlamaCppVectorsTest.VOCABS) {
            Tokenizer tokenizer = VocabFixtures.tokenizer(vocab);
            tokenizer.encode(input, false, true); // warm-up: JIT
            long start = System.nanoTime();
            int[] ids = tokenizer.encode(input, false, true);
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("%s: %d chars -> %d tokens in %d ms%n", vocab, input.length(), ids.length, millis);
            // Generous bound for a loaded 2-core CI machine; typical numbers are printed above.
            assertTrue(millis < 1000, vocab + " took " + millis + " ms");
            assertEquals(input, tokenizer.decode(tokenizer.encode(input, false, false)));
        }
    }
}
