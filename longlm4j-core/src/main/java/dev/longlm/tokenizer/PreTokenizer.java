package dev.longlm.tokenizer;

import dev.longlm.InputException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before byte-level BPE, per {@code tokenizer.ggml.pre}. The patterns are
 * the models' tokenizer.json regexes, which llama.cpp runs through hand-written scanners
 * (unicode.cpp); java.util.regex reproduces those scanners because UNICODE_CHARACTER_CLASS makes
 * {@code \s} the Unicode White_Space set, the same 25 code points llama.cpp treats as whitespace,
 * and {@code \p{L}}/{@code \p{N}} are the same general categories. Text no alternative matches is
 * kept as its own word, as llama.cpp does.
 */
enum PreTokenizer {
    /** GPT-2: contractions, optional space + letters/digits/other, whitespace. */
    GPT2("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", false),
    /** Llama 3: case-insensitive contractions, digits in groups of up to three, newlines kept apart. */
    LLAMA3("(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", true),
    /** Qwen 2: as Llama 3 but single digits. */
    QWEN2("(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", false);

    // tokenizer.ggml.pre names llama.cpp maps to these patterns (llama-vocab.cpp).
    private static final Map<String, PreTokenizer> BY_NAME = Map.ofEntries(
            Map.entry("gpt-2", GPT2), Map.entry("phi-2", GPT2), Map.entry("mpt", GPT2), Map.entry("olmo", GPT2),
            Map.entry("jina-es", GPT2), Map.entry("jina-de", GPT2), Map.entry("jina-v2-es", GPT2),
            Map.entry("jina-v2-de", GPT2), Map.entry("gigachat", GPT2), Map.entry("mellum", GPT2),
            Map.entry("llama3", LLAMA3), Map.entry("llama-v3", LLAMA3), Map.entry("llama-bpe", LLAMA3),
            Map.entry("falcon3", LLAMA3), Map.entry("falcon-h1", LLAMA3), Map.entry("pixtral", LLAMA3),
            Map.entry("midm-2.0", LLAMA3), Map.entry("lfm2", LLAMA3),
            Map.entry("qwen2", QWEN2), Map.entry("deepseek-r1-qwen", QWEN2), Map.entry("stablelm2", QWEN2));

    private final Pattern pattern;
    private final boolean wholeWordsFirst;

    PreTokenizer(String regex, boolean wholeWordsFirst) {
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        this.wholeWordsFirst = wholeWordsFirst;
    }

    static PreTokenizer named(String name) {
        PreTokenizer pre = BY_NAME.get(name);
        if (pre == null) {
            throw new InputException("unsupported pre-tokenizer '" + name + "' (tokenizer.ggml.pre); supported: "
                    + String.join(", ", new TreeSet<>(BY_NAME.keySet())));
        }
        return pre;
    }

    /**
     * Whether a word that is itself a token is emitted without running merges (llama.cpp's
     * ignore_merges, set for the Llama 3 family: their merges cannot always rebuild such words).
     */
    boolean wholeWordsFirst() {
        return wholeWordsFirst;
    }

    List<String> split(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        int end = 0;
        while (m.find()) {
            if (m.start() > end) {
                words.add(text.substring(end, m.start()));
            }
            words.add(m.group());
            end = m.end();
        }
        if (end < text.length()) {
            words.add(text.substring(end));
        }
        return words;
    }
}
