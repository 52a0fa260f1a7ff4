package dev.longlm.generate;

import dev.longlm.tokenizer.TokenDecoder;
import dev.longlm.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.function.IntConsumer;

/** Prompt processing followed by token-by-token decoding, streaming text as it is produced. */
public final class Generator {
    public enum StopReason { END_OF_GENERATION, MAX_TOKENS, CONTEXT_FULL, STOP_STRING, CANCELLED }

    /** Receives each piece of generated text; returning false stops generation. */
    @FunctionalInterface
    public interface TextSink {
        boolean accept(int token, String text);
    }

    /** @param cachedPromptTokens prompt tokens the session held already (not computed, not in the rate) */
    public record Result(int[] promptTokens, int[] tokens, String text, StopReason stopReason,
                         long promptNanos, long generationNanos, int cachedPromptTokens) {
        public double promptTokensPerSecond() {
            return promptNanos == 0 ? 0 : (promptTokens.length - cachedPromptTokens) * 1e9 / promptNanos;
        }

        public double generatedTokensPerSecond() {
            return generationNanos == 0 ? 0 : tokens.length * 1e9 / generationNanos;
        }
    }

    private Generator() {
    }

    /**
     * Appends {@code prompt} to {@code session} and generates up to {@code maxTokens} tokens (negative:
     * until end of generation or a full context).
     */
    public static Result generate(Session session, Tokenizer tokenizer, int[] prompt, int maxTokens,
                                  Sampler sampler, TextSink sink, IntConsumer promptProgress) {
        return generate(session, tokenizer, prompt, 0, maxTokens, sampler, sink, promptProgress);
    }

    /**
     * As {@link #generate(Session, Tokenizer, int[], int, Sampler, TextSink, IntConsumer)} for a session that
     * already holds {@code prompt[0 … cached)} (a prompt cache): only the rest is appended.
     */
    public static Result generate(Session session, Tokenizer tokenizer, int[] prompt, int cached, int maxTokens,
                                  Sampler sampler, TextSink sink, IntConsumer promptProgress) {
        if (cached < 0 || cached >= prompt.length || session.length() != cached) {
            throw new IllegalArgumentException("a session of " + session.length() + " positions holding " + cached + " of "
                    + prompt.length + " prompt tokens");
        }
        long t0 = System.nanoTime();
        float[] logits = session.append(prompt, cached, prompt.length - cached, promptProgress);
        for (int t : prompt) {
            sampler.accept(t);
        }
        long t1 = System.nanoTime();
        TokenDecoder decoder = tokenizer.newDecoder();
        StringBuilder text = new StringBuilder();
        int[] out = new int[Math.max(16, maxTokens < 0 ? 256 : maxTokens)];
        int count = 0;
        StopReason reason = StopReason.MAX_TOKENS;
        while (maxTokens < 0 || count < maxTokens) {
            int token = sampler.sample(logits, 0);
            if (tokenizer.isEndOfGeneration(token)) {
                reason = StopReason.END_OF_GENERATION;
                break;
            }
            if (count == out.length) {
                out = Arrays.copyOf(out, out.length * 2);
            }
            out[count++] = token;
            sampler.accept(token);
            String piece = decoder.feed(token);
            text.append(piece);
            if (sink != null && !sink.accept(token, piece)) {
                reason = StopReason.CANCELLED;
                break;
            }
            if (maxTokens >= 0 && count == maxTokens) {
                break;
            }
            if (session.length() >= session.capacity()) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
            logits = session.decode(token);
        }
        String rest = decoder.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            if (sink != null) {
                sink.accept(-1, rest);
            }
        }
        long t2 = System.nanoTime();
        return new Result(prompt, Arrays.copyOf(out, count), text.toString(), reason, t1 - t0, t2 - t1, cached);
    }
}
