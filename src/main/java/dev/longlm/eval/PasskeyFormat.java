package dev.longlm.eval;

/**
 * The LongLM {@code example.py} passkey exercise as models/MODEL_CARD.md fixes it (the format the
 * shipped model saw in training): lines joined by a newline — the instruction, the filler repeated
 * and joined by spaces, the needle, more filler, and the question, whose trailing space makes the
 * answer start directly with the key's digits.
 */
public final class PasskeyFormat {
    public static final String INSTRUCTION = "There is an important info hidden inside a lot of irrelevant text. "
            + "Find it and memorize them. I will quiz you about the important information there.";
    public static final String FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
    public static final String QUESTION = "What is the pass key? The pass key is ";

    private PasskeyFormat() {
    }

    public static String needle(String key) {
        return "The pass key is " + key + ". Remember it. " + key + " is the pass key.";
    }

    /** The prompt text with {@code before} filler repeats ahead of the needle and {@code after} behind it. */
    public static String text(String key, int before, int after) {
        return INSTRUCTION + "\n" + filler(before) + "\n" + needle(key) + "\n" + filler(after) + "\n" + QUESTION;
    }

    static String filler(int repeats) {
        StringBuilder sb = new StringBuilder(repeats * (FILLER.length() + 1));
        for (int i = 0; i < repeats; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(FILLER);
        }
        return sb.toString();
    }
}
