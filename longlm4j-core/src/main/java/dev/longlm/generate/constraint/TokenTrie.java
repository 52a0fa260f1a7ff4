package dev.longlm.generate.constraint;

import dev.longlm.tokenizer.Tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every token's text once per tokenizer, arranged as a trie of code points so a grammar can test the
 * whole vocabulary in one walk, pruning all tokens that share a rejected prefix. Tokens that are
 * not whole UTF-8 text (control tokens, lone bytes of a multi-byte character) are left out: they
 * can never be checked character by character. Immutable and shareable between requests.
 */
public final class TokenTrie {
    /** A trie node: children by code point (parallel sorted arrays) and the tokens spelled so far. */
    static final class Node {
        int[] codePoints = new int[0];
        Node[] children = new Node[0];
        int[] tokens = new int[0];

        Node child(int cp, boolean create) {
            int i = Arrays.binarySearch(codePoints, cp);
            if (i >= 0) {
                return children[i];
            }
            if (!create) {
                return null;
            }
            int at = -i - 1;
            int[] cps = new int[codePoints.length + 1];
            Node[] kids = new Node[children.length + 1];
            System.arraycopy(codePoints, 0, cps, 0, at);
            System.arraycopy(children, 0, kids, 0, at);
            cps[at] = cp;
            kids[at] = new Node();
            System.arraycopy(codePoints, at, cps, at + 1, codePoints.length - at);
            System.arraycopy(children, at, kids, at + 1, children.length - at);
            codePoints = cps;
            children = kids;
            return kids[at];
        }
    }

    private final Node root = new Node();
    private final String[] texts;

    private TokenTrie(String[] texts) {
        this.texts = texts;
        for (int id = 0; id < texts.length; id++) {
            String text = texts[id];
            if (text == null) {
                continue;
            }
            Node node = root;
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                node = node.child(cp, true);
                i += Character.charCount(cp);
            }
            node.tokens = Arrays.copyOf(node.tokens, node.tokens.length + 1);
            node.tokens[node.tokens.length - 1] = id;
        }
    }

    public static TokenTrie of(Tokenizer tokenizer) {
        String[] texts = new String[tokenizer.vocabSize()];
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int id = 0; id < texts.length; id++) {
            if (tokenizer.isEndOfGeneration(id)) {
                continue;
            }
            byte[] bytes = tokenizer.tokenBytes(id);
            if (bytes.length == 0) {
                continue;
            }
            try {
                texts[id] = decoder.decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                // part of a multi-byte character: not checkable on its own
            }
        }
        return new TokenTrie(texts);
    }

    /** The token's text, or null if it is not whole text. */
    public String text(int token) {
        return token >= 0 && token < texts.length ? texts[token] : null;
    }

    public int vocabSize() {
        return texts.length;
    }

    Node root() {
        return root;
    }

    /** Token ids whose text is a single code point, by code point (for tests and diagnostics). */
    public List<Integer> singleCharacterTokens(int cp) {
        Node n = root.child(cp, false);
        List<Integer> out = new ArrayList<>();
        if (n != null) {
            for (int t : n.tokens) {
                out.add(t);
            }
        }
        return out;
    }
}
