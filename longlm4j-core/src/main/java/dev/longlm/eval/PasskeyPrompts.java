package dev.longlm.eval;

import dev.longlm.InputException;
import dev.longlm.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Builds the passkey exercises of one length: filler as long as fits, needles at evenly spaced depths. */
public final class PasskeyPrompts {
    private PasskeyPrompts() {
    }

    /**
     * {@code trials} exercises of at most {@code length} tokens (prompt plus answer); trial t puts its
     * needle at depth (t + 0.5) / trials unless {@code depths} (values in 0 … 1) are given, which are
     * then used in turn. Keys come from {@link #keys}, so every method sees the same exercises.
     */
    public static List<PasskeyPrompt> build(Tokenizer tokenizer, int length, int trials, double[] depths,
                                            int digits, long seed) {
        if (trials < 1) {
            throw new InputException("--trials must be at least 1, got " + trials);
        }
        List<String> keys = keys(seed ^ (length * 0x9E3779B97F4A7C15L), trials, digits);
        List<PasskeyPrompt> prompts = new ArrayList<>(trials);
        for (int t = 0; t < trials; t++) {
            double depth = depths != null && depths.length > 0 ? depths[t % depths.length] : (t + 0.5) / trials;
            prompts.add(build(tokenizer, length, keys.get(t), depth));
        }
        return prompts;
    }

    /**
     * The exercise with the most filler repeats whose prompt (BOS included) leaves room for the
     * answer's tokens within {@code length}; the needle follows round(repeats · depth) of them.
     */
    public static PasskeyPrompt build(Tokenizer tokenizer, int length, String key, double depth) {
        if (!(depth >= 0 && depth <= 1)) {
            throw new InputException("needle depths must be between 0 and 1, got " + depth);
        }
        int budget = length - key.length();
        int fixed = tokenize(tokenizer, key, 0, depth).tokens().length;
        if (fixed > budget) {
            throw new InputException("a passkey prompt needs at least " + (fixed + key.length()) + " tokens; "
                    + length + " is too short");
        }
        // Token counts grow by the same amount per repeat (up to a token of merging at the seams):
        // estimate from one measurement, then step to the exact largest fit.
        int perRepeat = Math.max(1, tokenize(tokenizer, key, 8, depth).tokens().length - fixed) / 8;
        int repeats = Math.max(0, (budget - fixed) / Math.max(1, perRepeat) - 1);
        PasskeyPrompt fit = tokenize(tokenizer, key, repeats, depth);
        while (fit.tokens().length > budget && repeats > 0) {
            fit = tokenize(tokenizer, key, --repeats, depth);
        }
        while (true) {
            PasskeyPrompt longer = tokenize(tokenizer, key, repeats + 1, depth);
            if (longer.tokens().length > budget) {
                return fit;
            }
            fit = longer;
            repeats++;
        }
    }

    private static PasskeyPrompt tokenize(Tokenizer tokenizer, String key, int repeats, double depth) {
        int before = (int) Math.round(repeats * depth);
        String text = PasskeyFormat.text(key, before, repeats - before);
        return new PasskeyPrompt(text, tokenizer.encode(text, true, false), key, depth, before, repeats - before);
    }

    /**
     * Random keys: with {@code digits} > 0 all of that many digits; otherwise every even trial gets 5
     * digits and every odd one 3, 4, 6, 7 or 8 at random, so half of them have 5 digits. The first
     * digit is never 0, so the key's digit count is what it says.
     */
    public static List<String> keys(long seed, int count, int digits) {
        if (digits != 0 && (digits < 1 || digits > 18)) {
            throw new InputException("--digits must be between 1 and 18 (0 = mixed 3 to 8), got " + digits);
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[] others = {3, 4, 6, 7, 8};
        List<String> keys = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int n = digits > 0 ? digits : i % 2 == 0 ? 5 : others[random.nextInt(others.length)];
            long low = pow10(n - 1);
            keys.add(Long.toString(random.nextLong(low, low * 10)));
        }
        return keys;
    }

    private static long pow10(int n) {
        long v = 1;
        for (int i = 0; i < n; i++) {
            v *= 10;
        }
        return v;
    }
}
