package dev.longlm.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenDecoderTest {

    @Test
    void holdsAFourByteCharacterUntilItsLastByteToken() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        // "🦙" has no token in Llama 2's vocabulary: it becomes byte tokens <0xF0><0x9F><0xA6><0x99>.
        TokenDecoder decoder = spm.newDecoder();
        assertEquals(" a", decoder.feed(263)); // ▁a: streamed pieces keep their space
        assertEquals("", decoder.feed(243));
        assertEquals("", decoder.feed(162));
        assertEquals("", decoder.feed(169));
        assertTrue(decoder.hasPending());
        assertEquals("🦙", decoder.feed(156));
        assertFalse(decoder.hasPending());
        assertEquals("", decoder.feed(1), "BOS is a control token");
    }

    @Test
    void streamingMatchesWholeDecodeForByteLevelPieces() {
        Tokenizer llama3 = VocabFixtures.tokenizer("llama-bpe");
        String text = "Ünïcödé 🦙🚀 ⿰ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 日本語のテキスト";
        int[] ids = llama3.encode(text, false, false);
        TokenDecoder decoder = llama3.newDecoder();
        List<String> chunks = new ArrayList<>();
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) {
            String chunk = decoder.feed(id);
            assertFalse(chunk.contains("\uFFFD"), "a chunk ended inside a character");
            chunks.add(chunk);
            streamed.append(chunk);
        }
        streamed.append(decoder.flush());
        assertEquals(text, streamed.toString());
        assertTrue(chunks.contains(""), "some token should have ended mid-character in this text");
    }

    @Test
    void flushReplacesAnUnfinishedCharacter() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        TokenDecoder decoder = new TokenDecoder(spm, false);
        assertEquals("", decoder.feed(243)); // <0xF0>, the start of a 4-byte sequence
        assertEquals("\uFFFD", decoder.flush());
    }

    @Test
    void completePrefixLength() {
        assertEquals(0, TokenDecoder.completePrefixLength(new byte[] {(byte) 0xE6, (byte) 0x97}));
        assertEquals(3, TokenDecoder.completePrefixLength(new byte[] {(byte) 0xE6, (byte) 0x97, (byte) 0xA5}));
        assertEquals(1, TokenDecoder.completePrefixLength(new byte[] {'a', (byte) 0xC3}));
        assertEquals(2, TokenDecoder.completePrefixLength(new byte[] {'a', (byte) 0x80}), "stray continuation is not held");
    }
}
