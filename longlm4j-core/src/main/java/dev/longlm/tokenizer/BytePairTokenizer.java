package dev.longlm.tokenizer;

import dev.longlm.InputException;
import dev.longlm.gguf.GgufMetadata;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Byte-level BPE as llama.cpp's llm_tokenizer_bpe: special tokens are cut out, the rest is split
 * into words by the pre-tokenizer, each word's UTF-8 bytes are mapped to the byte-level alphabet
 * and merged pairwise, lowest merge rank first (leftmost on ties).
 */
final class BytePairTokenizer extends VocabularyTokenizer {
    private final PreTokenizer preTokenizer;
    private final Map<String, Integer> mergeRanks; // "left right" -> rank

    private BytePairTokenizer(Vocabulary vocab, PreTokenizer preTokenizer, Map<String, Integer> mergeRanks) {
        super(vocab);
        this.preTokenizer = preTokenizer;
        this.mergeRanks = mergeRanks;
    }

    static BytePairTokenizer create(GgufMetadata md) {
        String preName = md.getString("tokenizer.ggml.pre", "");
        PreTokenizer pre = PreTokenizer.named(preName);
        String[] merges = md.getStrings("tokenizer.ggml.merges").orElseThrow(
                () -> new InputException("GGUF has tokenizer model gpt2 but no tokenizer.ggml.merges"));
        Map<String, Integer> ranks = HashMap.newHashMap(merges.length);
        for (int i = 0; i < merges.length; i++) {
            ranks.putIfAbsent(merges[i], i); // the first occurrence wins, as llama.cpp's emplace
        }
        // llama.cpp adds BOS by default only for the Llama 3 family.
        Vocabulary vocab = Vocabulary.load(md, Vocabulary.Kind.BYTE_PAIR, pre == PreTokenizer.LLAMA3);
        return new BytePairTokenizer(vocab, pre, ranks);
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IdList out = new IdList();
        if (addBos && vocab.bos() != Vocabulary.NONE) {
            out.add(vocab.bos());
        }
        for (SpecialTokenSplitter.Fragment fragment : SpecialTokenSplitter.split(vocab, text, parseSpecial)) {
            if (!fragment.isText()) {
                out.add(fragment.token());
                continue;
            }
            for (String word : preTokenizer.split(fragment.text())) {
                encodeWord(ByteLevelAlphabet.encode(word.getBytes(StandardCharsets.UTF_8)), out);
            }
        }
        return out.toArray();
    }

    /** A candidate merge; {@code length} detects symbols that changed since it was queued. */
    private record Bigram(int left, int right, int rank, int length) {
    }

    /** Merges one byte-level word (one char per byte) and appends its tokens. */
    private void encodeWord(String word, IdList out) {
        if (preTokenizer.wholeWordsFirst()) {
            int whole = vocab.idOf(word);
            if (whole != Vocabulary.NONE) {
                out.add(whole);
                return;
            }
        }
        int n = word.length();
        int[] length = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            length[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 == n ? -1 : i + 1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), (a, b) ->
                a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            offerBigram(word, length, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int left = bigram.left;
            int right = bigram.right;
            // Symbols are contiguous runs starting at their index, so equal length means equal text.
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != bigram.length) {
                continue; // outdated: a side was merged differently since
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            offerBigram(word, length, prev[left], left, queue);
            offerBigram(word, length, left, next[left], queue);
        }
        for (int i = n == 0 ? -1 : 0; i != -1; i = next[i]) {
            String piece = word.substring(i, i + length[i]);
            int id = vocab.idOf(piece);
            if (id != Vocabulary.NONE) {
                out.add(id);
                continue;
            }
            // Not a token (a merge whose result is missing): fall back to one token per byte.
            for (int c = 0; c < piece.length(); c++) {
                int byteToken = vocab.idOf(piece.substring(c, c + 1));
                if (byteToken != Vocabulary.NONE) {
                    out.add(byteToken);
                }
            }
        }
    }

    private void offerBigram(String word, int[] length, int left, int right, PriorityQueue<Bigram> queue) {
        if (left == -1 || right == -1) {
            return;
        }
        // Symbols are contiguous runs of the word, so a symbol's text starts at its index.
        String leftText = word.substring(left, left + length[left]);
        String rightText = word.substring(right, right + length[right]);
        Integer rank = mergeRanks.get(leftText + ' ' + rightText);
        if (rank != null) {
            queue.add(new Bigram(left, right, rank, length[left] + length[right]));
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
            return bytesOfByteLevelText(vocab.text(id));
        }
        if ((attributes & Vocabulary.BYTE) != 0) {
            return new byte[] {(byte) Integer.parseInt(vocab.text(id), 3, 5, 16)};
        }
        return new byte[0];
    }

    /**
     * Reverses the byte-level mapping. A character outside the 256-char alphabet (a malformed
     * vocabulary) is kept as its UTF-8, where llama.cpp would insert an [UNK_BYTE_..] marker.
     */
    private static byte[] bytesOfByteLevelText(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        text.codePoints().forEach(cp -> {
            int b = ByteLevelAlphabet.byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }
}
