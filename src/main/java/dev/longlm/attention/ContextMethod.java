package dev.longlm.attention;

import dev.longlm.InputException;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A training-free way to run a model past its trained context: either a {@link PositionScheme}
 * (which positions attention uses: Self-Extend, StreamingLLM) or a change of RoPE frequencies
 * (position interpolation, NTK-aware, dynamic NTK, YaRN), or nothing. Formulas and sources are in
 * docs/LONG_CONTEXT.md.
 *
 * @param factor the scale s of the frequency methods (target length / trained length)
 */
public record ContextMethod(Kind kind, int groupSize, int window, double factor, int sinks, int recent,
                            double yarnAlpha, double yarnBeta) {

    public enum Kind {
        NONE("none"), SELF_EXTEND("self-extend"), SELF_EXTEND_LLAMACPP("self-extend-llamacpp"), LINEAR("linear"),
        NTK("ntk"), DYNAMIC_NTK("dynamic-ntk"), YARN("yarn"), STREAMING("streaming");

        private final String flag;

        Kind(String flag) {
            this.flag = flag;
        }

        public String flag() {
            return flag;
        }

        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.flag.equals(s.toLowerCase(Locale.ROOT))) {
                    return k;
                }
            }
            throw new InputException("unknown --rope-method '" + s + "'; choose one of none, self-extend, "
                    + "self-extend-llamacpp, linear, ntk, dynamic-ntk, yarn, streaming");
        }
    }

    public static final double YARN_DEFAULT_ALPHA = 1;
    public static final double YARN_DEFAULT_BETA = 32;

    public static ContextMethod none() {
        return new ContextMethod(Kind.NONE, 1, 0, 1, 0, 0, 0, 0);
    }

    public static ContextMethod selfExtend(int groupSize, int window) {
        SelfExtend.of(groupSize, window); // validates
        return groupSize == 1 ? none() : new ContextMethod(Kind.SELF_EXTEND, groupSize, window, 1, 0, 0, 0, 0);
    }

    /** The method that uses {@code scheme} with the model's own RoPE. */
    public static ContextMethod of(PositionScheme scheme) {
        return switch (scheme) {
            case SelfExtend se -> selfExtend(se.groupSize(), se.window());
            case StreamingWindow sw -> streaming(sw.sinks(), sw.recent());
            case LlamaCppGroupedPositions g -> selfExtendLlamaCpp(g.groupSize(), g.window());
            default -> none();
        };
    }

    public static ContextMethod selfExtendLlamaCpp(int groupSize, int window) {
        SelfExtend.of(groupSize, window);
        return new ContextMethod(Kind.SELF_EXTEND_LLAMACPP, groupSize, window, 1, 0, 0, 0, 0);
    }

    public static ContextMethod linear(double factor) {
        return new ContextMethod(Kind.LINEAR, 1, 0, checkFactor(factor), 0, 0, 0, 0);
    }

    public static ContextMethod ntk(double factor) {
        return new ContextMethod(Kind.NTK, 1, 0, checkFactor(factor), 0, 0, 0, 0);
    }

    /** Dynamic NTK; {@code factor} is the α of the rescaling rule (usually 1). */
    public static ContextMethod dynamicNtk(double factor) {
        return new ContextMethod(Kind.DYNAMIC_NTK, 1, 0, checkFactor(factor), 0, 0, 0, 0);
    }

    public static ContextMethod yarn(double factor, double alpha, double beta) {
        if (!(alpha > 0 && beta > alpha)) {
            throw new InputException("yarn needs 0 < alpha < beta, got alpha " + alpha + ", beta " + beta);
        }
        return new ContextMethod(Kind.YARN, 1, 0, checkFactor(factor), 0, 0, alpha, beta);
    }

    public static ContextMethod streaming(int sinks, int recent) {
        new StreamingWindow(sinks, recent);
        return new ContextMethod(Kind.STREAMING, 1, 0, 1, sinks, recent, 0, 0);
    }

    private static double checkFactor(double factor) {
        if (!(factor >= 1) || Double.isInfinite(factor)) {
            throw new InputException("the scale factor must be >= 1, got " + factor);
        }
        return factor;
    }

    /** Which positions attention uses (plain for the frequency methods); a new object per call, as some keep state. */
    public PositionScheme positionScheme() {
        return switch (kind) {
            case SELF_EXTEND -> SelfExtend.of(groupSize, window);
            case STREAMING -> new StreamingWindow(sinks, recent);
            case SELF_EXTEND_LLAMACPP -> new LlamaCppGroupedPositions(groupSize, window);
            default -> SelfExtend.NONE;
        };
    }

    /** True when the RoPE frequencies depend on the current sequence length (dynamic NTK). */
    public boolean ropeDependsOnLength() {
        return kind == Kind.DYNAMIC_NTK;
    }

    /**
     * The RoPE to use, derived from the model's own ({@code modelRope}: its base, layout and any
     * frequency factors from the file) for a model trained on {@code trained} positions, when the
     * sequence is {@code length} tokens long (only dynamic NTK looks at the length).
     */
    public Rope rope(Rope modelRope, int trained, int length) {
        double[] f = modelRope.inverseFrequencies();
        int d = modelRope.rotaryDims();
        switch (kind) {
            case LINEAR -> {
                for (int i = 0; i < f.length; i++) {
                    f[i] /= factor;
                }
            }
            case NTK -> scaleBase(f, d, factor);
            case DYNAMIC_NTK -> {
                // Rescale only once the sequence outgrows the trained context: s = α·len/L − (α − 1).
                double s = factor * length / trained - (factor - 1);
                if (s > 1) {
                    scaleBase(f, d, s);
                }
            }
            case YARN -> {
                for (int i = 0; i < f.length; i++) {
                    // Rotations completed over the trained context decide interpolation vs extrapolation.
                    double rotations = trained * f[i] / (2 * Math.PI);
                    double ramp = Math.clamp((rotations - yarnAlpha) / (yarnBeta - yarnAlpha), 0.0, 1.0);
                    f[i] = (1 - ramp) * f[i] / factor + ramp * f[i];
                }
                return modelRope.withFrequencies(f, (float) (modelRope.magnitude() * (0.1 * Math.log(factor) + 1)));
            }
            default -> {
                return modelRope;
            }
        }
        return modelRope.withFrequencies(f, modelRope.magnitude());
    }

    /** NTK-aware: base b → b·s^(d/(d−2)), i.e. inverse frequency i multiplied by s^(−2i/(d−2)). */
    private static void scaleBase(double[] f, int d, double s) {
        for (int i = 0; i < f.length; i++) {
            f[i] *= Math.pow(s, -2.0 * i / (d - 2));
        }
    }

    /** The longest input this method supports on a model trained on {@code trained} positions. */
    public long maxLength(int trained) {
        return switch (kind) {
            case NONE -> trained;
            case SELF_EXTEND, SELF_EXTEND_LLAMACPP -> SelfExtend.of(groupSize, window).maxLength(trained);
            case STREAMING -> new StreamingWindow(sinks, recent).maxLength(trained);
            case DYNAMIC_NTK -> Long.MAX_VALUE;
            default -> (long) Math.floor(trained * factor);
        };
    }

    /** Settings for result files: the method name and its parameters. */
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", kind.flag());
        switch (kind) {
            case SELF_EXTEND, SELF_EXTEND_LLAMACPP -> {
                m.put("group_size", groupSize);
                m.put("window", window);
            }
            case LINEAR, NTK, DYNAMIC_NTK -> m.put("factor", factor);
            case YARN -> {
                m.put("factor", factor);
                m.put("alpha", yarnAlpha);
                m.put("beta", yarnBeta);
            }
            case STREAMING -> {
                m.put("sinks", sinks);
                m.put("recent", recent);
            }
            default -> {
            }
        }
        return m;
    }

    public String describe() {
        return switch (kind) {
            case NONE -> "none";
            case SELF_EXTEND, SELF_EXTEND_LLAMACPP -> kind.flag() + " G" + groupSize + " W" + window;
            case STREAMING -> "streaming " + sinks + "+" + recent;
            default -> kind.flag() + " s=" + factor;
        };
    }
}
