package dev.longlm.eval;

/**
 * The LongLM {@code example.py} passkey exercise as models/MODEL_CARD.md fixes it (the format the
 * shipped model saw in training): lines joined by a newline — the instruction line, the filler line
 * repeated (one line per repeat, as in LongLM's passkey_examples.jsonl), the needle line, more
 * filler lines, and the question, whose trailing space makes the answer start directly with the
 * key's digits. Joining the repeats with spaces instead reads the same but is an easier exercise
 * for Self-Extend (1024-2048 tokens: +0.2 to +0.3 accuracy) and does not reproduce the card.
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

    /** {@code repeats} filler lines. */
    static String filler(int repeats) {
        StringBuilder sb = new StringBuilder(repeats * (FILLER.length() + 1));
        for (int i = 0; i < repeats; i++) {
            if (i > 0) {
                sb.append('\n');
            }
            sb.append(FILLER);
        }
        return sb.toString();
    }
}
