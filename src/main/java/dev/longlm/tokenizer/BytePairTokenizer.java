package dev.longlm.tokenizer;

import dev.longlm.gguf.GgufMetadata;

final class BytePairTokenizer extends VocabularyTokenizer {
    BytePairTokenizer(Vocabulary vocab) {
        super(vocab);
    }

    static BytePairTokenizer create(GgufMetadata md) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public byte[] tokenBytes(int id, boolean renderSpecial) {
        throw new UnsupportedOperationException("not yet");
    }
}
