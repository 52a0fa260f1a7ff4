package dev.longlm.eval;

import dev.longlm.InputException;
import dev.longlm.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * Needle-in-a-haystack exercises over a user's text: the start of the haystack, cut to fit N
 * tokens, with a needle sentence inserted at a depth (moved back to the nearest sentence end, as
 * the original NIAH test does) and a question after it. Work is done on tokens, so the haystack is
 * tokenized once and every cell is exactly N tokens with the answer.
 *
 * @param needle   the needle sentence; {@code {key}} is replaced by the cell's key
 * @param question the question closing the prompt; its answer is the key
 */
public record NeedlePrompts(Tokenizer tokenizer, int[] haystack, String needle, String question) {
    /** The passkey needle and question by default: the retrieval format the shipped model was trained on. */
    public static final String DEFAULT_NEEDLE = "The pass key is {key}. Remember it. {key} is the pass key.";
    public static final String DEFAULT_QUESTION = "What is the pass key? The pass key is ";

    public NeedlePrompts {
        if (!needle.contains("{key}")) {
            throw new InputException("--needle must contain {key}, where the number to retrieve goes");
        }
    }

    /** Tokenizes the haystack once (without BOS). */
    public static NeedlePrompts of(Tokenizer tokenizer, String haystackText, String needle, String question) {
        return new NeedlePrompts(tokenizer, tokenizer.encode(haystackText, false, false), needle, question);
    }

    /** BOS, haystack with the needle at {@code depth}, question: {@code length - key digits} tokens at most. */
    public PasskeyPrompt build(int length, String key, double depth) {
        int[] needleTokens = tokenizer.encode(needle.replace("{key}", key), false, false);
        int[] questionTokens = tokenizer.encode(question, false, false);
        int hay = length - 1 - needleTokens.length - questionTokens.length - key.length();
        if (hay < 1) {
            throw new InputException("length " + length + " leaves no room for the haystack around the needle and question");
        }
        if (hay > haystack.length) {
            throw new InputException("the haystack has " + haystack.length + " tokens; length " + length + " needs "
                    + hay + "; give a longer --haystack or shorter --lengths");
        }
        int cut = sentenceEndBefore((int) Math.round(hay * depth));
        int[] tokens = new int[1 + hay + needleTokens.length + questionTokens.length];
        int at = 0;
        tokens[at++] = tokenizer.bosId();
        System.arraycopy(haystack, 0, tokens, at, cut);
        at += cut;
        System.arraycopy(needleTokens, 0, tokens, at, needleTokens.length);
        at += needleTokens.length;
        System.arraycopy(haystack, cut, tokens, at, hay - cut);
        at += hay - cut;
        System.arraycopy(questionTokens, 0, tokens, at, questionTokens.length);
        return new PasskeyPrompt(tokenizer.decode(Arrays.copyOfRange(tokens, 1, tokens.length)), tokens, key, depth, cut, hay - cut);
    }

    /** The largest position ≤ {@code at} right after a token ending a sentence (0 if none). */
    private int sentenceEndBefore(int at) {
        for (int i = at; i > 0; i--) {
            String piece = tokenizer.tokenText(haystack[i - 1]);
            if (piece.endsWith(".") || piece.endsWith("!") || piece.endsWith("?") || piece.endsWith("<0x0A>")) {
                return i;
            }
        }
        return 0;
    }
}
