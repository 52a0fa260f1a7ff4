package dev.longlm.tokenizer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.List;

/**
 * Fuzz target: any text through the four tokenizer families of the llama.cpp vocabulary fixtures
 * (SentencePiece, Llama 3 and Qwen 2 byte-level BPE, Phi-3), with and without special-token
 * parsing. Encoding never throws and gives ids in the vocabulary; decoding them never throws; for
 * the byte-level BPE tokenizers, decoding gives the text back.
 */
class TokenizerFuzzTest {
    private static final List<String> VOCABS = List.of("llama-spm", "llama-bpe", "qwen2", "phi-3");
    private static final List<Tokenizer> TOKENIZERS = VOCABS.stream().map(VocabFixtures::tokenizer).toList();

    @FuzzTest(maxDuration = "10m")
    void encodeAndDecode(FuzzedDataProvider data) {
        int which = data.consumeInt(0, TOKENIZERS.size() - 1);
        boolean special = data.consumeBoolean();
        String text = data.consumeRemainingAsString();
        Tokenizer tokenizer = TOKENIZERS.get(which);
        int[] ids = tokenizer.encode(text, false, special);
        for (int id : ids) {
            if (id < 0 || id >= tokenizer.vocabSize()) {
                throw new IllegalStateException(VOCABS.get(which) + ": id " + id + " outside the vocabulary of " + tokenizer.vocabSize());
            }
        }
        String decoded = tokenizer.decode(ids);
        boolean byteLevel = which == 1 || which == 2;
        if (byteLevel && !special && isWellFormed(text) && !decoded.equals(text)) {
            throw new IllegalStateException(VOCABS.get(which) + ": decode(encode(text)) differs from the text");
        }
    }

    /** Text that UTF-8 can round-trip (no unpaired surrogates). */
    private static boolean isWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
