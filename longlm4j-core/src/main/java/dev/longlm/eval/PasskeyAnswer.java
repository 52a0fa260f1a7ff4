package dev.longlm.eval;

/** What the model answered to one exercise: the generated text and whether its digits are the key. */
public record PasskeyAnswer(String key, double depth, int promptTokens, String generated, boolean correct) {
    /** Correct when the digits of the generated text, in order, are exactly the key. */
    public static PasskeyAnswer judge(PasskeyPrompt prompt, String generated) {
        StringBuilder digits = new StringBuilder();
        generated.codePoints().filter(c -> c >= '0' && c <= '9').forEach(digits::appendCodePoint);
        return new PasskeyAnswer(prompt.key(), prompt.depth(), prompt.tokens().length, generated,
                digits.toString().equals(prompt.key()));
    }
}
