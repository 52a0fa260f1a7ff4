package dev.longlm.tokenizer;

import dev.longlm.InputException;
import dev.longlm.gguf.GgufMetadata;
import dev.longlm.gguf.GgufValue;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerFactoryTest {

    @Test
    void unknownTokenizerModelIsAnInputErrorNamingTheSupportedOnes() {
        GgufMetadata md = new GgufMetadata("test.gguf", Map.of(
                "tokenizer.ggml.model", GgufValue.string("bert"),
                "tokenizer.ggml.tokens", GgufValue.strings("[PAD]", "a")));
        InputException e = assertThrows(InputException.class, () -> Tokenizer.fromGguf(md));
        assertTrue(e.getMessage().contains("'bert'") && e.getMessage().contains("llama")
                && e.getMessage().contains("gpt2"), e.getMessage());
    }

    @Test
    void unknownPreTokenizerIsAnInputError() {
        GgufMetadata md = new GgufMetadata("test.gguf", Map.of(
                "tokenizer.ggml.model", GgufValue.string("gpt2"),
                "tokenizer.ggml.pre", GgufValue.string("no-such-pre"),
                "tokenizer.ggml.tokens", GgufValue.strings("a", "b", "ab"),
                "tokenizer.ggml.merges", GgufValue.strings("a b")));
        InputException e = assertThrows(InputException.class, () -> Tokenizer.fromGguf(md));
        assertTrue(e.getMessage().contains("no-such-pre") && e.getMessage().contains("qwen2"), e.getMessage());
    }

    @Test
    void smallBytePairVocabularyMergesByRank() {
        // "a b" has rank 0, so "aab" becomes a + ab even though "aa" is a token too (rank 1).
        GgufMetadata md = new GgufMetadata("test.gguf", Map.of(
                "tokenizer.ggml.model", GgufValue.string("gpt2"),
                "tokenizer.ggml.pre", GgufValue.string("qwen2"),
                "tokenizer.ggml.tokens", GgufValue.strings("a", "b", "ab", "aa"),
                "tokenizer.ggml.merges", GgufValue.strings("a b", "a a")));
        Tokenizer t = Tokenizer.fromGguf(md);
        assertInstanceOf(BytePairTokenizer.class, t);
        assertArrayEquals(new int[] {0, 2}, t.encode("aab", false, false));
        assertArrayEquals(new int[] {3, 0}, t.encode("aaa", false, false));
    }
}
