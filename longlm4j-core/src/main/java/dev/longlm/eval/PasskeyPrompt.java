package dev.longlm.eval;

/**
 * One passkey-retrieval exercise: the prompt (BOS included in {@code tokens}), the key to retrieve
 * and where the needle sits.
 *
 * @param depth         the requested depth of the needle in the filler, 0 … 1
 * @param fillerBefore  filler repeats before the needle
 * @param fillerAfter   filler repeats after it
 */
public record PasskeyPrompt(String text, int[] tokens, String key, double depth, int fillerBefore, int fillerAfter) {
    /** The tokens generated as the answer: one per digit, as the Llama vocabulary splits digits. */
    public int answerTokens() {
        return key.length();
    }
}
