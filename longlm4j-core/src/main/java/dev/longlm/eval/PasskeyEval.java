package dev.longlm.eval;

import dev.longlm.attention.ContextMethod;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.backend.Backend;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/** Runs passkey exercises under one context method: a fresh session per exercise, greedy answers. */
public final class PasskeyEval {
    private PasskeyEval() {
    }

    /** The outcome of one (length, method) cell. */
    public record Cell(int length, ContextMethod method, List<PasskeyAnswer> answers) {
        public int correct() {
            return (int) answers.stream().filter(PasskeyAnswer::correct).count();
        }

        public double accuracy() {
            return answers.isEmpty() ? Double.NaN : (double) correct() / answers.size();
        }
    }

    /**
     * Answers every prompt; {@code progress} receives the number of tokens processed so far (prompt
     * tokens plus generated ones) across all prompts.
     */
    public static Cell run(Model model, ContextMethod method, int length, List<PasskeyPrompt> prompts, Backend backend,
                           IntConsumer progress) {
        List<PasskeyAnswer> answers = new ArrayList<>(prompts.size());
        long[] done = {0};
        for (PasskeyPrompt prompt : prompts) {
            try (Session session = Session.create(model, backend, method, length)) {
                long base = done[0];
                int[] generated = Greedy.generate(session, model.tokenizer(), prompt.tokens(), prompt.answerTokens(),
                        progress == null ? null : n -> progress.accept((int) (base + n)));
                done[0] += prompt.tokens().length;
                answers.add(PasskeyAnswer.judge(prompt, model.tokenizer().decode(generated)));
            }
        }
        return new Cell(length, method, answers);
    }

    /** Tokens a cell processes: the progress total for {@link #run}. */
    public static long work(List<PasskeyPrompt> prompts) {
        return prompts.stream().mapToLong(p -> p.tokens().length).sum();
    }
}
