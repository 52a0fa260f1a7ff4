package dev.longlm.eval;

import dev.longlm.generate.Session;
import dev.longlm.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.function.IntConsumer;

/** Greedy decoding as the evaluations need it: the most likely token each step, no sampler state. */
public final class Greedy {
    private Greedy() {
    }

    /** Appends {@code prompt} and decodes up to {@code maxTokens} tokens, stopping at end of generation or a full cache. */
    public static int[] generate(Session session, Tokenizer tokenizer, int[] prompt, int maxTokens, IntConsumer progress) {
        float[] logits = session.append(prompt, 0, prompt.length, progress);
        int vocab = session.config().vocabSize();
        int[] out = new int[maxTokens];
        int count = 0;
        while (count < maxTokens) {
            int token = Scorer.topK(logits, 0, vocab, 1)[0];
            if (tokenizer.isEndOfGeneration(token)) {
                break;
            }
            out[count++] = token;
            if (count == maxTokens || session.length() >= session.capacity()) {
                break;
            }
            logits = session.decode(token);
        }
        return Arrays.copyOf(out, count);
    }
}
