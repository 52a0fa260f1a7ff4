package dev.longlm.attention;

import dev.longlm.InputException;

import java.util.Locale;
import java.util.Map;

/**
 * A training-free way to run a model past its trained context, one record per method: a
 * {@link PositionScheme} (which positions attention uses: {@link Plain}, {@link SelfExtend},
 * {@link LlamaCppGroupedPositions}, {@link StreamingWindow}, {@link DualChunkAttention}, {@link ReRope},
 * {@link LeakyReRope}) or a change of RoPE frequencies
 * ({@link LinearScaling}, {@link NtkScaling}, {@link DynamicNtk}, {@link Yarn}). Each record validates its
 * parameters in its constructor, the one place that does. Formulas and sources are in docs/LONG_CONTEXT.md.
 */
public sealed interface ContextMethod
        permits Plain, SelfExtend, LlamaCppGroupedPositions, StreamingWindow, DualChunkAttention, ReRope, LeakyReRope,
        LinearScaling, NtkScaling, DynamicNtk, Yarn {

    /** The methods by their {@code --rope-method} names. */
    enum Kind {
        NONE("none"), SELF_EXTEND("self-extend"), SELF_EXTEND_LLAMACPP("self-extend-llamacpp"), LINEAR("linear"),
        NTK("ntk"), DYNAMIC_NTK("dynamic-ntk"), YARN("yarn"), STREAMING("streaming"), DCA("dca"), REROPE("rerope"),
        LEAKY_REROPE("leaky-rerope");

        private final String flag;

        Kind(String flag) {
            this.flag = flag;
        }

        public String flag() {
            return flag;
        }

        public boolean selfExtend() {
            return this == SELF_EXTEND || this == SELF_EXTEND_LLAMACPP;
        }

        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.flag.equals(s.toLowerCase(Locale.ROOT))) {
                    return k;
                }
            }
            throw new InputException("unknown --rope-method '" + s + "'; choose one of "
                    + String.join(", ", java.util.Arrays.stream(values()).map(Kind::flag).toList()));
        }
    }

    double YARN_DEFAULT_ALPHA = 1;
    double YARN_DEFAULT_BETA = 32;

    Kind kind();

    /** Which positions attention uses; plain for the frequency methods. */
    default PositionScheme positionScheme() {
        return PositionScheme.PLAIN;
    }

    /**
     * The RoPE to use, derived from the model's own ({@code modelRope}: its base, layout and any
     * frequency factors from the file) for a model trained on {@code trained} positions, when the
     * sequence is {@code length} tokens long (only dynamic NTK looks at the length).
     */
    default Rope rope(Rope modelRope, int trained, int length) {
        return modelRope;
    }

    /** True when the RoPE frequencies depend on the current sequence length (dynamic NTK). */
    default boolean ropeDependsOnLength() {
        return false;
    }

    /** The longest input this method supports on a model trained on {@code trained} positions. */
    long maxLength(int trained);

    /**
     * Checks that an input of {@code length} positions fits {@link #maxLength}; otherwise an
     * {@link InputException} saying so, with the setting that would fit where the method knows one.
     */
    default void checkFits(int length, int trained) {
        if (length > maxLength(trained)) {
            throw new InputException("input of " + length + " positions exceeds the maximum " + maxLength(trained)
                    + " of " + describe() + " on a model trained on " + trained + " tokens");
        }
    }

    /** Settings for result files: the method name and its parameters. */
    Map<String, Object> settings();

    String describe();

    static ContextMethod none() {
        return Plain.INSTANCE;
    }

    /** Self-Extend with group size G and window W; G = 1 means plain attention. */
    static ContextMethod selfExtend(int groupSize, int window) {
        if (groupSize == 1 && window >= 0) {
            return Plain.INSTANCE;
        }
        return new SelfExtend(groupSize, window);
    }

    static ContextMethod selfExtendLlamaCpp(int groupSize, int window) {
        return new LlamaCppGroupedPositions(groupSize, window);
    }

    static ContextMethod linear(double factor) {
        return new LinearScaling(factor);
    }

    static ContextMethod ntk(double factor) {
        return new NtkScaling(factor);
    }

    /** Dynamic NTK; {@code alpha} is the α of the rescaling rule (usually 1). */
    static ContextMethod dynamicNtk(double alpha) {
        return new DynamicNtk(alpha);
    }

    static ContextMethod yarn(double factor, double alpha, double beta) {
        return new Yarn(factor, alpha, beta);
    }

    static ContextMethod streaming(int sinks, int recent) {
        return new StreamingWindow(sinks, recent);
    }

    /** Dual Chunk Attention with chunk size s and local window w (1 ≤ w ≤ s). */
    static ContextMethod dualChunk(int chunkSize, int localWindow) {
        return new DualChunkAttention(chunkSize, localWindow);
    }

    /** ReRoPE with window w. */
    static ContextMethod rerope(int window) {
        return new ReRope(window);
    }

    /** Leaky ReRoPE with window w and leak factor k; k = 1 means plain attention. */
    static ContextMethod leakyRerope(int window, double leak) {
        if (leak == 1 && window >= 1) {
            return Plain.INSTANCE;
        }
        return new LeakyReRope(window, leak);
    }

    /** The method that uses {@code scheme} with the model's own RoPE. */
    static ContextMethod of(PositionScheme scheme) {
        return switch (scheme) {
            case Plain p -> p;
            case SelfExtend se -> se;
            case StreamingWindow sw -> sw;
            case LlamaCppGroupedPositions g -> g;
            case DualChunkAttention dca -> dca;
            case ReRope r -> r;
            case LeakyReRope l -> l;
        };
    }

    /** A frequency method's scale factor s ≥ 1, checked. */
    static double checkFactor(double factor) {
        if (!(factor >= 1) || Double.isInfinite(factor)) {
            throw new InputException("the scale factor must be >= 1, got " + factor);
        }
        return factor;
    }

    /** NTK-aware: base b → b·s^(d/(d−2)), i.e. inverse frequency i multiplied by s^(−2i/(d−2)). */
    static void scaleBase(double[] f, int rotaryDims, double s) {
        for (int i = 0; i < f.length; i++) {
            f[i] *= Math.pow(s, -2.0 * i / (rotaryDims - 2));
        }
    }
}
