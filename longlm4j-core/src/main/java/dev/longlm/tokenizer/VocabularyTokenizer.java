package dev.longlm.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.OptionalInt;

/** What SentencePiece and byte-level BPE share: the vocabulary queries and whole-sequence decoding. */
abstract sealed class VocabularyTokenizer implements Tokenizer permits SentencePieceTokenizer, BytePairTokenizer {
    protected final Vocabulary vocab;

    VocabularyTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // llama.cpp's detokenize drops one leading space of the first piece when encode adds one.
        boolean stripSpace = vocab.addSpacePrefix();
        for (int id : ids) {
            byte[] piece = tokenBytes(id);
            int from = stripSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            out.write(piece, from, piece.length - from);
            stripSpace = false;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Text of control and unknown tokens, shown only when asked; empty otherwise. */
    protected final byte[] specialOrEmpty(int id, boolean renderSpecial) {
        return renderSpecial ? vocab.text(id).getBytes(StandardCharsets.UTF_8) : new byte[0];
    }

    @Override
    public int bosId() {
        return vocab.bos();
    }

    @Override
    public int eosId() {
        return vocab.eos();
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return vocab.isEndOfGeneration(id);
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public String tokenText(int id) {
        return vocab.text(id);
    }

    @Override
    public boolean addBosByDefault() {
        return vocab.addBos();
    }

    @Override
    public OptionalInt tokenId(String text) {
        int id = vocab.idOf(text);
        return id == Vocabulary.NONE ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Growable int list, to avoid boxing while encoding large inputs. */
    static final class IdList {
        private int[] ids = new int[64];
        private int size;

        void add(int id) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
            }
            ids[size++] = id;
        }

        int[] toArray() {
            return Arrays.copyOf(ids, size);
        }
    }
}
