package dev.longlm.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The regex pre-tokenizers against a scanner written the way llama.cpp's unicode.cpp scans
 * (unicode_regex_split_custom_gpt2/llama3/qwen2), with llama.cpp's own whitespace list, on random
 * text mixing the character classes where regex engines and that scanner could disagree.
 */
class PreTokenizerTest {
    private static final Set<Integer> LLAMA_CPP_WHITESPACE = Set.of(0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0,
            0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
            0x2028, 0x2029, 0x202F, 0x205F, 0x3000);
    private static final String[] ALPHABET = {
        "a", "Z", "s", "S", "t", "T", "l", "L", "e", "E", "r", "v", "m", "d", "é", "ß", "日", "本", "ا", "ǅ",
        "0", "7", "٣", "²", "Ⅻ", "½", " ", " ", " ", "\t", "\n", "\r", "\u000B", "\u00A0", "\u0085", "\u2028",
        "\u3000", "\u001C", "'", "'", "’", ".", ",", "!", "?", "-", "(", "$", "+", "😀", "🦙", "\u0301", "\u200D",
        "\uFE0F", "\u0378", "_", "\"", "<", "|",
    };

    @Test
    void regexesMatchLlamaCppScanners() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            int length = 1 + random.nextInt(12);
            for (int j = 0; j < length; j++) {
                sb.append(ALPHABET[random.nextInt(ALPHABET.length)]);
            }
            String text = sb.toString();
            assertEquals(scan(text, Style.GPT2), PreTokenizer.GPT2.split(text), () -> "gpt2 " + escape(text));
            assertEquals(scan(text, Style.LLAMA3), PreTokenizer.LLAMA3.split(text), () -> "llama3 " + escape(text));
            assertEquals(scan(text, Style.QWEN2), PreTokenizer.QWEN2.split(text), () -> "qwen2 " + escape(text));
        }
    }

    @Test
    void knownSplits() {
        // Punctuation takes the newlines after it; of three spaces before a word, one joins the word.
        assertEquals(List.of("Hello", ",", " world", "!!!\n\n", "  ", " x"),
                PreTokenizer.LLAMA3.split("Hello, world!!!\n\n   x"));
        assertEquals(List.of("123", "456", "7", " I", "'M"), PreTokenizer.LLAMA3.split("1234567 I'M"));
        assertEquals(List.of("1", "2", "3"), PreTokenizer.QWEN2.split("123"));
        assertEquals(List.of("I", "'", "M"), PreTokenizer.GPT2.split("I'M"), "GPT-2 contractions are lowercase only");
    }

    private enum Style { GPT2, LLAMA3, QWEN2 }

    private static boolean isLetter(int cp) {
        return Character.isLetter(cp);
    }

    private static boolean isNumber(int cp) {
        int type = Character.getType(cp);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
    }

    private static boolean isSpace(int cp) {
        return LLAMA_CPP_WHITESPACE.contains(cp);
    }

    private static boolean isOther(int cp) {
        return !isSpace(cp) && !isLetter(cp) && !isNumber(cp);
    }

    /** Token boundaries by llama.cpp's scanning rules, independent of java.util.regex. */
    private static List<String> scan(String text, Style style) {
        int[] cps = text.codePoints().toArray();
        int n = cps.length;
        List<String> words = new ArrayList<>();
        int pos = 0;
        while (pos < n) {
            int end = scanOne(cps, pos, style);
            words.add(new String(cps, pos, end - pos));
            pos = end;
        }
        return words;
    }

    private static int scanOne(int[] c, int pos, Style style) {
        int n = c.length;
        int cp = c[pos];
        if (cp == '\'' && pos + 1 < n) {
            int a = style == Style.GPT2 ? c[pos + 1] : Character.toLowerCase(c[pos + 1]);
            if (a == 's' || a == 't' || a == 'm' || a == 'd') {
                return pos + 2;
            }
            if (pos + 2 < n) {
                int b = style == Style.GPT2 ? c[pos + 2] : Character.toLowerCase(c[pos + 2]);
                if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                    return pos + 3;
                }
            }
        }
        if (style == Style.GPT2) {
            int p = cp == ' ' && pos + 1 < n ? pos + 1 : pos;
            int first = c[p];
            if (isLetter(first) || isNumber(first) || (isOther(first) && !(cp == ' ' && p == pos))) {
                int kind = isLetter(first) ? 0 : isNumber(first) ? 1 : 2;
                while (p < n && (kind == 0 ? isLetter(c[p]) : kind == 1 ? isNumber(c[p]) : isOther(c[p]))) {
                    p++;
                }
                return p;
            }
        } else {
            if (cp != '\r' && cp != '\n' && !isNumber(cp)
                    && (isLetter(cp) || (pos + 1 < n && isLetter(c[pos + 1])))) {
                int p = pos + 1;
                while (p < n && isLetter(c[p])) {
                    p++;
                }
                return p;
            }
            if (isNumber(cp)) {
                int max = style == Style.LLAMA3 ? 3 : 1;
                int p = pos;
                while (p < n && p - pos < max && isNumber(c[p])) {
                    p++;
                }
                return p;
            }
            int p = cp == ' ' && pos + 1 < n && isOther(c[pos + 1]) ? pos + 1 : pos;
            if (isOther(c[p])) {
                while (p < n && isOther(c[p])) {
                    p++;
                }
                while (p < n && (c[p] == '\r' || c[p] == '\n')) {
                    p++;
                }
                return p;
            }
            int lastNewline = -1;
            for (int q = pos; q < n && isSpace(c[q]); q++) {
                if (c[q] == '\r' || c[q] == '\n') {
                    lastNewline = q + 1;
                }
            }
            if (lastNewline > 0) {
                return lastNewline;
            }
        }
        int spaces = 0;
        while (pos + spaces < n && isSpace(c[pos + spaces])) {
            spaces++;
        }
        if (spaces > 1 && pos + spaces < n) {
            return pos + spaces - 1;
        }
        return spaces > 0 ? pos + spaces : pos + 1;
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> sb.append(cp < 0x20 || cp > 0x7E ? String.format("\\u{%X}", cp) : Character.toString(cp)));
        return sb.toString();
    }
}
