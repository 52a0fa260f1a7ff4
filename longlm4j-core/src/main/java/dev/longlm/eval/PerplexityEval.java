package dev.longlm.eval;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.backend.cpu.FloatArrays;
import dev.longlm.backend.Backend;

import java.util.Arrays;
import java.util.function.IntConsumer;

/** Perplexity of a token stream at one window length under one context method. */
public final class PerplexityEval {
    private PerplexityEval() {
    }

    /**
     * @param nll       summed negative log-likelihood of the scored predictions (natural log)
     * @param predictions how many predictions were scored
     */
    public record Cell(int length, ContextMethod method, int windows, double nll, long predictions) {
        /** exp(mean NLL) over every scored prediction of every window. */
        public double perplexity() {
            return Math.exp(nll / predictions);
        }
    }

    /**
     * Scores {@code stream} (BOS followed by the text's tokens) in windows of {@code length} positions;
     * {@code progress} receives the positions processed so far.
     */
    public static Cell run(Model model, ContextMethod method, int[] stream, int length, PerplexityProtocol protocol,
                           Backend backend, IntConsumer progress) {
        int windows = protocol.windowCount(stream.length, length);
        if (windows == 0 || length < 2) {
            throw new InputException("the text has " + (stream.length - 1) + " tokens, too few for one window of "
                    + length + "; use a longer text or shorter --lengths");
        }
        int vocab = model.config().vocabSize();
        int first = protocol.firstScored(length);
        double[] nll = {0};
        long[] count = {0};
        for (int w = 0; w < windows; w++) {
            int start = protocol.windowStart(w, length);
            int[] window = Arrays.copyOfRange(stream, start, start + protocol.windowTokens(length));
            if (protocol.bosPerWindow()) {
                window[0] = model.tokenizer().bosId();
            }
            int base = w * length;
            try (Session session = Session.create(model, backend, method, window.length - 1)) {
                // Position i's logits predict window[i + 1]; the last token is only a target.
                session.appendScoring(window, 0, window.length - 1, (i, logits, offset) -> {
                    if (i >= first) {
                        nll[0] -= logits[offset + window[i + 1]] - FloatArrays.logSumExp(logits, offset, vocab);
                        count[0]++;
                    }
                }, progress == null ? null : n -> progress.accept(base + n));
            }
        }
        return new Cell(length, method, windows, nll[0], count[0]);
    }

    /** Positions processed for one cell: the progress total for {@link #run}. */
    public static long work(int[] stream, int length, PerplexityProtocol protocol) {
        return (long) protocol.windowCount(stream.length, length) * length;
    }
}
