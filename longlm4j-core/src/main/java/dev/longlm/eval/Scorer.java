package dev.longlm.eval;

import dev.longlm.generate.Session;
import dev.longlm.backend.cpu.FloatArrays;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/** Teacher-forced scoring: the log-probability of each token given all tokens before it. */
public final class Scorer {
    private Scorer() {
    }

    /** Positions a sequence of {@code tokens} tokens occupies when scored (the last token is only a target). */
    public static int positionsNeeded(int tokens) {
        return tokens - 1;
    }

    /**
     * Appends {@code tokens} to {@code session} (normally empty) and scores them; entry i holds
     * log p(token i | tokens before i), computed in double from the logits at position i-1.
     */
    public static List<TokenScore> score(Session session, int[] tokens, int topK, IntConsumer progress) {
        int vocab = session.config().vocabSize();
        List<TokenScore> scores = new ArrayList<>(tokens.length);
        scores.add(new TokenScore(tokens[0], Double.NaN, new int[0], new double[0]));
        // The last token is only a target: positions 0 … n-2 predict tokens 1 … n-1.
        session.appendScoring(tokens, 0, tokens.length - 1, (i, logits, offset) -> {
            {
                double lse = FloatArrays.logSumExp(logits, offset, vocab);
                int next = tokens[i + 1];
                int[] top = topK(logits, offset, vocab, topK);
                double[] topLp = new double[top.length];
                for (int t = 0; t < top.length; t++) {
                    topLp[t] = logits[offset + top[t]] - lse;
                }
                scores.add(new TokenScore(next, logits[offset + next] - lse, top, topLp));
            }
        }, progress);
        return scores;
    }

    /** exp(-mean log-probability) over the tokens that have a prediction. */
    public static double perplexity(List<TokenScore> scores) {
        double sum = 0;
        int n = 0;
        for (TokenScore s : scores) {
            if (s.hasPrediction()) {
                sum += s.logprob();
                n++;
            }
        }
        return Math.exp(-sum / n);
    }

    /** Indices of the k largest values, largest first (ties: lower index first). */
    public static int[] topK(float[] values, int offset, int n, int k) {
        k = Math.min(k, n);
        if (k <= 0) {
            return new int[0];
        }
        int[] best = new int[k];
        int size = 0;
        for (int i = 0; i < n; i++) {
            float v = values[offset + i];
            if (size == k && v <= values[offset + best[k - 1]]) {
                continue;
            }
            int pos = size < k ? size++ : k - 1;
            while (pos > 0 && values[offset + best[pos - 1]] < v) {
                best[pos] = best[pos - 1];
                pos--;
            }
            best[pos] = i;
        }
        return best;
    }
}
