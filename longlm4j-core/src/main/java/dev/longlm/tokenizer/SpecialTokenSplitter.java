package dev.longlm.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts special tokens out of the input before the model tokenizer sees it, as llama.cpp's
 * tokenizer_st_partition: each special token in turn (longest first) is searched in every
 * remaining piece of text, leaving text pieces and special-token pieces in order.
 */
final class SpecialTokenSplitter {

    /** A piece of input: either raw text ({@code token == -1}) or one special token. */
    record Fragment(String text, int token) {
        static Fragment ofText(String text) {
            return new Fragment(text, Vocabulary.NONE);
        }

        static Fragment ofToken(int token) {
            return new Fragment(null, token);
        }

        boolean isText() {
            return token == Vocabulary.NONE;
        }
    }

    private SpecialTokenSplitter() {
    }

    /**
     * Splits {@code text}. Without {@code parseSpecial}, control and unknown tokens stay text but
     * user-defined tokens are still cut out (Hugging Face tokenizers do the same).
     */
    static List<Fragment> split(Vocabulary vocab, String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(Fragment.ofText(text));
        for (int id : vocab.specialTokensLongestFirst()) {
            int attributes = vocab.attributes(id);
            if (!parseSpecial && (attributes & (Vocabulary.CONTROL | Vocabulary.UNKNOWN)) != 0) {
                continue;
            }
            fragments = cutOut(fragments, id, vocab.text(id), attributes);
        }
        return fragments;
    }

    private static List<Fragment> cutOut(List<Fragment> fragments, int id, String special, int attributes) {
        List<Fragment> result = null; // allocated on the first match; most tokens never match
        for (int f = 0; f < fragments.size(); f++) {
            Fragment fragment = fragments.get(f);
            int match = fragment.isText() ? fragment.text().indexOf(special) : -1;
            if (match < 0) {
                if (result != null) {
                    result.add(fragment);
                }
                continue;
            }
            if (result == null) {
                result = new ArrayList<>(fragments.subList(0, f));
            }
            String text = fragment.text();
            int start = 0;
            while (match >= 0) {
                int leftEnd = match;
                if ((attributes & Vocabulary.LSTRIP) != 0) {
                    while (leftEnd > start && isCSpace(text.charAt(leftEnd - 1))) {
                        leftEnd--;
                    }
                }
                if (leftEnd > start) {
                    result.add(Fragment.ofText(text.substring(start, leftEnd)));
                }
                result.add(Fragment.ofToken(id));
                start = match + special.length();
                if ((attributes & Vocabulary.RSTRIP) != 0) {
                    while (start < text.length() && isCSpace(text.charAt(start))) {
                        start++;
                    }
                }
                match = text.indexOf(special, start);
            }
            if (start < text.length()) {
                result.add(Fragment.ofText(text.substring(start)));
            }
        }
        return result == null ? fragments : result;
    }

    /** C's isspace in the "C" locale, which llama.cpp uses for stripping around special tokens. */
    private static boolean isCSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
