package dev.longlm.eval;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.DualChunkAttention;
import dev.longlm.attention.LeakyReRope;
import dev.longlm.attention.ReRope;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A context method as an evaluation names it, before a length is known: frequency methods without
 * an explicit scale take s = length / trained context for each length, so one spec covers a whole
 * length sweep. Written {@code name[:a[:b]]}: {@code none}, {@code self-extend:G:W},
 * {@code self-extend-llamacpp:G:W}, {@code linear[:s]}, {@code ntk[:s]}, {@code dynamic-ntk[:alpha]},
 * {@code yarn[:s[:alpha:beta]]}, {@code streaming[:sinks:recent]}, {@code dca[:s[:w]]}, {@code rerope[:w]},
 * {@code leaky-rerope[:w[:k]]}. A DCA or (Leaky) ReRoPE parameter left out (or 0) is chosen per length by the
 * method's auto rule ({@link DualChunkAttention#auto}, {@link ReRope#auto}, {@link LeakyReRope#auto}).
 *
 * @param scale the explicit scale (NaN: derived from the length)
 * @param first G, the YaRN α, the sink count, the DCA chunk size s or the ReRoPE window w (0: auto)
 * @param second W, the YaRN β, the recent count (0: the trained context minus the sinks), the DCA local
 *               window w or the Leaky ReRoPE leak factor k (0: auto)
 */
public record MethodSpec(ContextMethod.Kind kind, double scale, double first, double second) {

    /** StreamingLLM's default number of attention-sink tokens. */
    public static final int DEFAULT_SINKS = 4;

    public static MethodSpec none() {
        return new MethodSpec(ContextMethod.Kind.NONE, Double.NaN, 0, 0);
    }

    public static MethodSpec selfExtend(int groupSize, int window) {
        ContextMethod.selfExtend(groupSize, window); // validates
        return new MethodSpec(ContextMethod.Kind.SELF_EXTEND, Double.NaN, groupSize, window);
    }

    /** Parses a comma-separated list such as {@code none,self-extend:16:64,yarn}. */
    public static List<MethodSpec> parseList(String list) {
        List<MethodSpec> specs = new ArrayList<>();
        for (String item : list.split(",")) {
            if (!item.isBlank()) {
                specs.add(parse(item.strip()));
            }
        }
        if (specs.isEmpty()) {
            throw new InputException("--methods is empty; give e.g. none,self-extend:16:64,yarn");
        }
        return specs;
    }

    public static MethodSpec parse(String text) {
        String[] parts = text.split(":", -1);
        ContextMethod.Kind kind = ContextMethod.Kind.parse(parts[0].strip());
        double[] args = new double[parts.length - 1];
        for (int i = 1; i < parts.length; i++) {
            try {
                args[i - 1] = Double.parseDouble(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new InputException("method '" + text + "': '" + parts[i] + "' is not a number; " + SYNTAX);
            }
        }
        MethodSpec spec = switch (kind) {
            case NONE -> args.length == 0 ? none() : null;
            case SELF_EXTEND, SELF_EXTEND_LLAMACPP -> args.length == 2
                    ? new MethodSpec(kind, Double.NaN, integer(text, args[0]), integer(text, args[1])) : null;
            case LINEAR, NTK, DYNAMIC_NTK -> args.length <= 1
                    ? new MethodSpec(kind, args.length == 1 ? args[0] : Double.NaN, 0, 0) : null;
            case YARN -> args.length == 0 || args.length == 1 || args.length == 3
                    ? new MethodSpec(kind, args.length >= 1 ? args[0] : Double.NaN,
                    args.length == 3 ? args[1] : ContextMethod.YARN_DEFAULT_ALPHA,
                    args.length == 3 ? args[2] : ContextMethod.YARN_DEFAULT_BETA) : null;
            case STREAMING -> args.length == 0 || args.length == 2
                    ? new MethodSpec(kind, Double.NaN, args.length == 2 ? integer(text, args[0]) : DEFAULT_SINKS,
                    args.length == 2 ? integer(text, args[1]) : 0) : null;
            case DCA -> args.length <= 2
                    ? new MethodSpec(kind, Double.NaN, args.length >= 1 ? integer(text, args[0]) : 0,
                    args.length == 2 ? integer(text, args[1]) : 0) : null;
            case REROPE -> args.length <= 1 ? new MethodSpec(kind, Double.NaN, args.length == 1 ? integer(text, args[0]) : 0, 0) : null;
            case LEAKY_REROPE -> args.length <= 2
                    ? new MethodSpec(kind, Double.NaN, args.length >= 1 ? integer(text, args[0]) : 0,
                    args.length == 2 ? nonNegative(text, args[1]) : 0) : null;
        };
        if (spec == null) {
            throw new InputException("method '" + text + "' has the wrong number of parameters; " + SYNTAX);
        }
        spec.resolve(Integer.MAX_VALUE / 2, 1); // validates the parameters once
        return spec;
    }

    private static final String SYNTAX = "write none, self-extend:G:W, self-extend-llamacpp:G:W, linear[:s], ntk[:s], "
            + "dynamic-ntk[:alpha], yarn[:s[:alpha:beta]], streaming[:sinks:recent], dca[:s[:w]], rerope[:w] or leaky-rerope[:w[:k]]";

    private static int integer(String text, double v) {
        if (v != Math.rint(v) || v < 0 || v > 1 << 24) {
            throw new InputException("method '" + text + "': " + v + " must be a non-negative whole number");
        }
        return (int) v;
    }

    private static double nonNegative(String text, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new InputException("method '" + text + "': " + v + " must be a non-negative number");
        }
        return v;
    }

    /**
     * The method an auto rule gives, or null (a "–" cell, like any method past its maximum) when it cannot
     * hold an input longer than the trained context; settings that are invalid at any length still throw.
     */
    private static ContextMethod cellOrNone(int length, int trained, Supplier<ContextMethod> rule) {
        try {
            return rule.get();
        } catch (InputException e) {
            if (length <= trained) {
                throw e;
            }
            return null;
        }
    }

    /** A parameter given as 0 is left to the method's auto rule. */
    private static Integer given(double v) {
        return v == 0 ? null : (int) v;
    }

    /**
     * The method for an input of {@code length} positions on a model trained on {@code trained}, or
     * empty when the length is beyond what the method supports (a "–" cell). Plain attention runs at
     * any length: how it degrades past the trained context is what the evaluations show.
     */
    public Optional<ContextMethod> resolve(int trained, int length) {
        double s = Double.isNaN(scale) ? Math.max(1.0, (double) length / trained) : scale;
        ContextMethod method = switch (kind) {
            case NONE -> ContextMethod.none();
            case SELF_EXTEND -> ContextMethod.selfExtend((int) first, (int) second);
            case SELF_EXTEND_LLAMACPP -> ContextMethod.selfExtendLlamaCpp((int) first, (int) second);
            case LINEAR -> ContextMethod.linear(s);
            case NTK -> ContextMethod.ntk(s);
            case DYNAMIC_NTK -> ContextMethod.dynamicNtk(Double.isNaN(scale) ? 1.0 : scale);
            case YARN -> ContextMethod.yarn(s, first, second);
            case STREAMING -> ContextMethod.streaming((int) first, second > 0 ? (int) second : Math.max(1, trained - (int) first));
            case DCA -> cellOrNone(length, trained, () -> DualChunkAttention.auto(trained, length, given(first), given(second)));
            case REROPE -> cellOrNone(length, trained, () -> ReRope.auto(trained, length, given(first)));
            case LEAKY_REROPE -> cellOrNone(length, trained,
                    () -> LeakyReRope.auto(trained, length, given(first), second == 0 ? null : second));
        };
        if (method == null || kind != ContextMethod.Kind.NONE && length > method.maxLength(trained)) {
            return Optional.empty();
        }
        return Optional.of(method);
    }

    /**
     * The method's fields for result files when no length applies (a cell beyond its maximum
     * length; only fixed-scale methods have one, so nothing length-derived is lost).
     */
    public Map<String, Object> settings(int trained) {
        return resolve(trained, 1).orElseThrow().settings();
    }

    /** A short label for tables and chart legends, e.g. {@code self-extend G16 W64} or {@code yarn}. */
    public String label() {
        String name = kind.flag();
        return switch (kind) {
            case SELF_EXTEND, SELF_EXTEND_LLAMACPP -> name + " G" + (int) first + " W" + (int) second;
            case STREAMING -> second == 0 && first == DEFAULT_SINKS ? name
                    : name + " " + (int) first + "+" + (second > 0 ? Integer.toString((int) second) : "rest");
            case DCA -> first == 0 && second == 0 ? name : name + " s" + auto(first) + " w" + auto(second);
            case REROPE -> first == 0 ? name : name + " w" + (int) first;
            case LEAKY_REROPE -> first == 0 && second == 0 ? name : name + " w" + auto(first) + " k" + (second == 0 ? "auto" : trim(second));
            case YARN -> Double.isNaN(scale) ? name : name + " s=" + trim(scale);
            case LINEAR, NTK, DYNAMIC_NTK -> Double.isNaN(scale) ? name : name + " s=" + trim(scale);
            case NONE -> name;
        };
    }

    private static String auto(double v) {
        return v == 0 ? "auto" : Integer.toString((int) v);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%g", v);
    }
}
