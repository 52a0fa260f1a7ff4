package dev.longlm.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Special-token recognition, BOS handling, end-of-generation ids and special-token decoding. */
class SpecialTokensTest {

    @Test
    void chatMarkersBecomeTokensOnlyWhenParsingSpecial() {
        Tokenizer qwen = VocabFixtures.tokenizer("qwen2");
        String prompt = "<|im_start|>user\nhi<|im_end|>";
        // <|im_start|> user \n hi <|im_end|>
        assertArrayEquals(new int[] {151644, 872, 198, 6023, 151645}, qwen.encode(prompt, false, true));
        int[] plain = qwen.encode(prompt, false, false);
        assertFalse(contains(plain, 151644) || contains(plain, 151645), "control tokens must stay text");
        assertEquals(prompt, qwen.decode(plain));
    }

    @Test
    void userDefinedTokensAreRecognisedEvenWithoutParseSpecial() {
        // As llama.cpp (and Hugging Face): only control/unknown tokens need parse_special.
        Tokenizer qwen = VocabFixtures.tokenizer("qwen2");
        assertArrayEquals(new int[] {64, 151646, 65}, qwen.encode("a[PAD151646]b", false, false));
    }

    @Test
    void sentencePieceAddsTheSpacePrefixAfterASpecialToken() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        // "<s>" is BOS; the text after it is tokenized as " Hello" (▁Hello = 15043).
        assertArrayEquals(new int[] {1, 15043}, spm.encode("<s>Hello", false, true));
        assertArrayEquals(new int[] {1, 15043}, spm.encode("Hello", true, false));
        assertArrayEquals(new int[] {529, 29879, 29958, 10994}, spm.encode("<s>Hello", false, false));
    }

    @Test
    void phi3StripsWhitespaceAfterItsChatMarkers() {
        Tokenizer phi3 = VocabFixtures.tokenizer("phi-3");
        // <|user|> and <|end|> have rstrip in llama.cpp, so the newlines after them vanish.
        assertArrayEquals(new int[] {32010, 15043, 32007, 32001},
                phi3.encode("<|user|>\nHello<|end|>\n<|assistant|>", false, true));
    }

    @Test
    void llama3HeaderTokens() {
        Tokenizer llama3 = VocabFixtures.tokenizer("llama-bpe");
        assertArrayEquals(new int[] {128000, 128006, 882, 128007, 271, 6151, 128009},
                llama3.encode("<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>", true, true));
    }

    @Test
    void bosAndDefaults() {
        assertEquals(1, VocabFixtures.tokenizer("llama-spm").bosId());
        assertEquals(2, VocabFixtures.tokenizer("llama-spm").eosId());
        assertTrue(VocabFixtures.tokenizer("llama-spm").addBosByDefault());
        assertTrue(VocabFixtures.tokenizer("llama-bpe").addBosByDefault());
        assertFalse(VocabFixtures.tokenizer("qwen2").addBosByDefault());
        assertEquals(128000, VocabFixtures.tokenizer("llama-bpe").bosId());
        assertEquals(32064, VocabFixtures.tokenizer("phi-3").vocabSize());
    }

    @Test
    void endOfGeneration() {
        Tokenizer llama3 = VocabFixtures.tokenizer("llama-bpe");
        assertTrue(llama3.isEndOfGeneration(128001)); // <|end_of_text|>
        assertTrue(llama3.isEndOfGeneration(128009)); // <|eot_id|>
        assertFalse(llama3.isEndOfGeneration(128006)); // <|start_header_id|>
        assertFalse(llama3.isEndOfGeneration(882));
        Tokenizer qwen = VocabFixtures.tokenizer("qwen2");
        assertTrue(qwen.isEndOfGeneration(151645)); // <|im_end|>
        assertTrue(qwen.isEndOfGeneration(151643)); // <|endoftext|>
        assertFalse(qwen.isEndOfGeneration(151644));
        Tokenizer phi3 = VocabFixtures.tokenizer("phi-3");
        assertTrue(phi3.isEndOfGeneration(32007)); // <|end|>
        assertTrue(phi3.isEndOfGeneration(32000)); // <|endoftext|>
        assertFalse(phi3.isEndOfGeneration(32010)); // <|user|>
        assertTrue(VocabFixtures.tokenizer("llama-spm").isEndOfGeneration(2));
    }

    @Test
    void tokenBytesAndTexts() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        assertEquals("▁Hello", spm.tokenText(15043));
        assertEquals(" Hello", utf8(spm.tokenBytes(15043)));
        assertArrayEquals(new byte[] {(byte) 0xF0}, spm.tokenBytes(243)); // <0xF0>
        assertEquals("", utf8(spm.tokenBytes(1)), "control tokens decode to nothing by default");
        assertEquals("<s>", utf8(spm.tokenBytes(1, true)));
        Tokenizer qwen = VocabFixtures.tokenizer("qwen2");
        assertEquals("Ċ", qwen.tokenText(198));
        assertEquals("\n", utf8(qwen.tokenBytes(198)));
        assertEquals("<|im_end|>", utf8(qwen.tokenBytes(151645, true)));
        assertEquals(151645, qwen.tokenId("<|im_end|>").orElseThrow());
        assertTrue(qwen.tokenId("no such token text").isEmpty());
    }

    @Test
    void sentencePieceDecodeRemovesOnlyTheSpaceEncodeAdded() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        assertEquals("Hello", spm.decode(new int[] {15043}));
        assertEquals(" Hello", spm.decode(new int[] {29871, 15043}));
        // After BOS llama.cpp's detokenize keeps the space: the strip applies to the first piece only.
        assertEquals(" Hello", spm.decode(new int[] {1, 15043}));
    }

    private static boolean contains(int[] ids, int id) {
        for (int x : ids) {
            if (x == id) {
                return true;
            }
        }
        return false;
    }

    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
