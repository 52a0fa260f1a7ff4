package dev.longlm.tokenizer;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every llama.cpp tokenizer test vector must encode to exactly llama.cpp's ids, and decode back. */
class LlamaCppVectorsTest {
    static final List<String> VOCABS = List.of("llama-spm", "phi-3", "llama-bpe", "qwen2");

    @Test
    void eachVocabHasAllItsVectors() {
        for (String vocab : VOCABS) {
            assertEquals(46, VocabFixtures.vectors(vocab).size(), vocab);
        }
    }

    @TestFactory
    Stream<DynamicTest> encodesLikeLlamaCpp() {
        return VOCABS.stream().flatMap(vocab -> VocabFixtures.vectors(vocab).stream().map(v ->
                DynamicTest.dynamicTest(vocab + ": " + printable(v.input()), () -> {
                    int[] actual = VocabFixtures.tokenizer(vocab).encode(v.input(), false, false);
                    assertArrayEquals(v.expected(), actual, () -> "expected " + Arrays.toString(v.expected())
                            + " got " + Arrays.toString(actual));
                })));
    }

    @TestFactory
    Stream<DynamicTest> decodeReversesEncode() {
        return VOCABS.stream().flatMap(vocab -> VocabFixtures.vectors(vocab).stream().map(v ->
                DynamicTest.dynamicTest(vocab + ": " + printable(v.input()), () -> {
                    Tokenizer tokenizer = VocabFixtures.tokenizer(vocab);
                    // Decode llama.cpp's own ids so a wrong encode cannot hide a wrong decode.
                    assertEquals(v.input(), tokenizer.decode(v.expected()));
                })));
    }

    static String printable(String s) {
        String escaped = s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return "'" + (escaped.length() > 40 ? escaped.substring(0, 40) + "…" : escaped) + "'";
    }
}
