package dev.longlm.generate;

import dev.longlm.generate.constraint.TokenConstraint;
import dev.longlm.tokenizer.TokenDecoder;
import dev.longlm.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Generates a reply one token at a time after the prompt is in the session: sampling (optionally
 * under a {@link TokenConstraint}), end-of-turn tokens, stop strings (text that could begin one is
 * held back until it cannot), and log-probabilities. Each token is decoded into the session just
 * before the next is sampled, so a finished completion never spends a forward pass it does not use;
 * {@link #commitLastToken()} adds the last one when the conversation continues. Not thread-safe.
 */
public final class Completion {
    public enum FinishReason { STOP, LENGTH }

    /**
     * @param maxTokens   most tokens to generate (negative: until the context is full)
     * @param topLogprobs alternatives to report per token; -1 reports no log-probabilities at all
     * @param constraint  null for free text
     */
    public record Options(int maxTokens, List<String> stop, int topLogprobs, TokenConstraint constraint) {
        public Options {
            stop = stop == null ? List.of() : stop.stream().filter(s -> !s.isEmpty()).toList();
        }
    }

    public record TokenLogprob(int token, String text, double logprob) {
    }

    /** One generated token, the text it releases (possibly empty), and its log-probabilities when asked for. */
    public record Step(int token, String text, TokenLogprob chosen, List<TokenLogprob> top) {
    }

    /** Runs a forward pass, for callers that need to wrap each one (null: run it directly). */
    @FunctionalInterface
    public interface ForwardRunner {
        float[] run(Supplier<float[]> forward);
    }

    private final Session session;
    private final Tokenizer tokenizer;
    private final Sampler sampler;
    private final Options options;
    private final ForwardRunner runner;
    private final TokenDecoder decoder;
    private final StringBuilder text = new StringBuilder();
    private final int longestStop;
    private float[] logits;
    /** This completion's own copy of logits handed over by {@link #tokenDecoded}. */
    private float[] decodedLogits;
    private float[] masked;
    private boolean[] allowed;
    private int[] tokens = new int[16];
    private int pendingToken = -1;
    private int emitted;
    private int generated;
    private FinishReason finish;

    public Completion(Session session, Tokenizer tokenizer, Sampler sampler, float[] promptLogits, Options options, ForwardRunner runner) {
        this.session = session;
        this.tokenizer = tokenizer;
        this.sampler = sampler;
        this.options = options;
        this.runner = runner == null ? Supplier::get : runner;
        this.decoder = tokenizer.newDecoder();
        this.logits = promptLogits;
        this.longestStop = options.stop().stream().mapToInt(String::length).max().orElse(0);
    }

    /** The next token, or null when generation has finished ({@link #finishReason()}). */
    public Step next() {
        if (finish != null) {
            return null;
        }
        if (pendingToken >= 0) {
            int token = pendingToken;
            pendingToken = -1;
            logits = runner.run(() -> session.decode(token));
        }
        int remaining = remainingTokens();
        if (remaining <= 0) {
            return finish(FinishReason.LENGTH);
        }
        TokenConstraint constraint = options.constraint();
        if (constraint != null && constraint.isComplete()) {
            return finish(FinishReason.STOP);
        }
        int token = sample(remaining);
        if (token < 0) {
            return finish(FinishReason.LENGTH); // the constraint allows nothing within the budget
        }
        if (tokenizer.isEndOfGeneration(token)) {
            return finish(FinishReason.STOP);
        }
        Step step = new Step(token, "", null, List.of());
        if (options.topLogprobs() >= 0) {
            step = logprobs(token);
        }
        if (constraint != null) {
            constraint.accept(token);
        }
        sampler.accept(token);
        pendingToken = token;
        if (generated == tokens.length) {
            tokens = Arrays.copyOf(tokens, generated * 2);
        }
        tokens[generated++] = token;
        text.append(decoder.feed(token));
        String released = release(false);
        if (finish == null && (constraint != null && constraint.isComplete())) {
            released += release(true);
            finish = FinishReason.STOP;
        } else if (finish == null && remainingTokens() <= 0) {
            released += release(true);
            finish = FinishReason.LENGTH;
        }
        return new Step(token, released, step.chosen(), step.top());
    }

    public FinishReason finishReason() {
        return finish;
    }

    /** The text generated so far, stop string excluded. */
    public String text() {
        return text.toString();
    }

    public int generatedTokens() {
        return generated;
    }

    /** The generated tokens (end-of-turn token excluded), including any that spelled a stop string. */
    public int[] tokens() {
        return Arrays.copyOf(tokens, generated);
    }

    /** Decodes the last generated token into the session, so the next turn continues after it. */
    public void commitLastToken() {
        if (pendingToken >= 0) {
            int token = pendingToken;
            pendingToken = -1;
            runner.run(() -> session.decode(token));
        }
    }

    /** Whether a generated token is still outside the session (see {@link #commitLastToken()}). */
    public boolean hasUncommittedToken() {
        return pendingToken >= 0;
    }

    /** The generated token still outside the session, or -1. */
    public int uncommittedToken() {
        return pendingToken;
    }

    /**
     * Records that the caller decoded {@link #uncommittedToken()} into the session itself — the server
     * decodes several completions' tokens in one batched forward pass — and hands over the logits that
     * step gave for this session (copied, so the caller may reuse its array). The next {@link #next()}
     * samples from them without a forward pass of its own.
     */
    public void tokenDecoded(float[] stepLogits, int offset) {
        if (pendingToken < 0) {
            throw new IllegalStateException("no generated token is waiting to be decoded");
        }
        int vocab = session.config().vocabSize();
        if (decodedLogits == null) {
            decodedLogits = new float[vocab];
        }
        System.arraycopy(stepLogits, offset, decodedLogits, 0, vocab);
        logits = decodedLogits;
        pendingToken = -1;
    }

    private int remainingTokens() {
        int room = session.capacity() - session.length() - (pendingToken >= 0 ? 1 : 0);
        return options.maxTokens() < 0 ? room : Math.min(room, options.maxTokens() - generated);
    }

    private int sample(int remaining) {
        TokenConstraint constraint = options.constraint();
        int token = sampler.sample(logits, 0);
        // Under a constraint, ending is never sampled: generation stops by itself once the output is complete.
        if (constraint == null || (!tokenizer.isEndOfGeneration(token) && constraint.allows(token, remaining))) {
            return token;
        }
        // The free draw broke the constraint: draw again from the allowed tokens only. For plain
        // temperature sampling this two-step draw has exactly the masked distribution.
        int vocab = tokenizer.vocabSize();
        if (masked == null) {
            masked = new float[vocab];
            allowed = new boolean[vocab];
        }
        Arrays.fill(allowed, false);
        if (constraint.fillAllowed(allowed, remaining) == 0) {
            return -1;
        }
        for (int i = 0; i < vocab; i++) {
            masked[i] = allowed[i] ? logits[i] : Float.NEGATIVE_INFINITY;
        }
        return sampler.sample(masked, 0);
    }

    private Step logprobs(int token) {
        int vocab = tokenizer.vocabSize();
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[i] - max);
        }
        double logSum = max + Math.log(sum);
        TokenLogprob chosen = new TokenLogprob(token, pieceText(token), logits[token] - logSum);
        List<TokenLogprob> top = new ArrayList<>();
        boolean[] taken = new boolean[vocab];
        for (int k = 0; k < Math.min(options.topLogprobs(), vocab); k++) {
            int best = -1;
            for (int i = 0; i < vocab; i++) {
                if (!taken[i] && (best < 0 || logits[i] > logits[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            top.add(new TokenLogprob(best, pieceText(best), logits[best] - logSum));
        }
        return new Step(token, "", chosen, top);
    }

    private String pieceText(int token) {
        return new String(tokenizer.tokenBytes(token), java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Releases text that can no longer turn into a stop string; on finding one, truncates before it
     * and finishes. {@code all}: release everything (the completion is ending).
     */
    private String release(boolean all) {
        if (all) {
            text.append(decoder.flush());
        }
        if (longestStop > 0) {
            int from = Math.max(0, emitted - longestStop);
            int cut = -1;
            for (String stop : options.stop()) {
                int at = text.indexOf(stop, from);
                if (at >= 0 && (cut < 0 || at < cut)) {
                    cut = at;
                }
            }
            if (cut >= 0) {
                text.setLength(cut);
                finish = FinishReason.STOP;
                all = true;
            }
        }
        int safe = all ? text.length() : text.length() - heldBackLength();
        if (safe <= emitted) {
            return "";
        }
        String out = text.substring(emitted, safe);
        emitted = safe;
        return out;
    }

    /** Length of the longest suffix of the text that is a proper prefix of some stop string. */
    private int heldBackLength() {
        int best = 0;
        for (String stop : options.stop()) {
            for (int len = Math.min(stop.length() - 1, text.length() - emitted); len > best; len--) {
                if (text.indexOf(stop.substring(0, len), text.length() - len) == text.length() - len) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }

    private Step finish(FinishReason reason) {
        finish = reason;
        String rest = release(true);
        return rest.isEmpty() ? null : new Step(-1, rest, null, List.of());
    }
}
