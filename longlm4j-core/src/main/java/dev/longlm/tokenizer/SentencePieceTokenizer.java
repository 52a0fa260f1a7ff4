package dev.longlm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * SentencePiece BPE as llama.cpp's llm_tokenizer_spm: spaces become ▁ (with a leading ▁ at the
 * start of text and after each special token when add_space_prefix), then adjacent pieces are
 * merged greedily, the pair whose merged text is the highest-scoring token first; pieces that are
 * not tokens fall back to {@code <0xXX>} byte tokens.
 */
final class SentencePieceTokenizer extends VocabularyTokenizer {
    private static final char SPACE_MARK = '\u2581'; // ▁

    private final int[] byteTokens = new int[256];

    SentencePieceTokenizer(Vocabulary vocab) {
        super(vocab);
        for (int b = 0; b < 256; b++) {
            int id = vocab.idOf(String.format("<0x%02X>", b));
            if (id == Vocabulary.NONE && b < 0x80) {
                id = vocab.idOf(String.valueOf((char) b)); // vocabularies without byte tokens
            }
            // llama.cpp aborts when a byte has no token; we emit <unk> instead.
            byteTokens[b] = id == Vocabulary.NONE ? vocab.unknown() : id;
        }
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IdList out = new IdList();
        if (addBos && vocab.bos() != Vocabulary.NONE) {
            out.add(vocab.bos());
        }
        boolean afterSpecial = true; // the start of text counts as "after a special token"
        for (SpecialTokenSplitter.Fragment fragment : SpecialTokenSplitter.split(vocab, text, parseSpecial)) {
            if (fragment.isText()) {
                String piece = vocab.addSpacePrefix() && afterSpecial ? " " + fragment.text() : fragment.text();
                tokenizePiece(piece.replace(' ', SPACE_MARK), out);
                afterSpecial = false;
            } else {
                out.add(fragment.token());
                afterSpecial = true;
            }
        }
        return out.toArray();
    }

    /** A candidate merge of two adjacent symbols; {@code length} detects symbols that changed since. */
    private record Bigram(int left, int right, float score, int length) {
    }

    private void tokenizePiece(String text, IdList out) {
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n];
        int[] length = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, offset = 0; i < n; i++) {
            int chars = Character.charCount(text.codePointAt(offset));
            start[i] = offset;
            length[i] = chars;
            prev[i] = i - 1;
            offset += chars;
            next[i] = offset == text.length() ? -1 : i + 1;
        }
        // Highest score first; on equal scores the leftmost pair, as llama.cpp's comparator.
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), (a, b) ->
                a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            offerBigram(text, start, length, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int left = bigram.left;
            int right = bigram.right;
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != bigram.length) {
                continue; // one side was merged into something else meanwhile
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            offerBigram(text, start, length, prev[left], left, queue);
            offerBigram(text, start, length, left, next[left], queue);
        }
        for (int i = n == 0 ? -1 : 0; i != -1; i = next[i]) {
            String piece = text.substring(start[i], start[i] + length[i]);
            int id = vocab.idOf(piece);
            if (id != Vocabulary.NONE) {
                out.add(id);
            } else {
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    int byteToken = byteTokens[b & 0xFF];
                    if (byteToken != Vocabulary.NONE) {
                        out.add(byteToken);
                    }
                }
            }
        }
    }

    private void offerBigram(String text, int[] start, int[] length, int left, int right, PriorityQueue<Bigram> queue) {
        if (left == -1 || right == -1) {
            return;
        }
        int merged = length[left] + length[right];
        int id = vocab.idOf(text.substring(start[left], start[left] + merged));
        if (id != Vocabulary.NONE) {
            queue.add(new Bigram(left, right, vocab.score(id), merged));
        }
    }

    @Override
    public byte[] tokenBytes(int id, boolean renderSpecial) {
        int attributes = vocab.attributes(id);
        if ((attributes & (Vocabulary.CONTROL | Vocabulary.UNKNOWN)) != 0) {
            return specialOrEmpty(id, renderSpecial);
        }
        if ((attributes & Vocabulary.USER_DEFINED) != 0) {
            return vocab.text(id).getBytes(StandardCharsets.UTF_8);
        }
        if ((attributes & Vocabulary.NORMAL) != 0) {
            return vocab.text(id).replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
        }
        if ((attributes & Vocabulary.BYTE) != 0) {
            return new byte[] {(byte) Integer.parseInt(vocab.text(id), 3, 5, 16)};
        }
        return new byte[0]; // unused and undefined tokens decode to nothing, as in llama.cpp
    }
}
