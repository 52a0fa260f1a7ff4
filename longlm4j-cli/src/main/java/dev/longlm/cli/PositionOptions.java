package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.DualChunkAttention;
import dev.longlm.attention.LeakyReRope;
import dev.longlm.attention.Plain;
import dev.longlm.attention.ReRope;
import dev.longlm.attention.SelfExtend;
import picocli.CommandLine.Option;

import java.io.PrintStream;

/**
 * How positions beyond the trained context are handled: Self-Extend flags (with llama.cpp's
 * -gan/-gaw aliases) and --rope-method for the other training-free methods. Parameters a method
 * needs and the user left out are chosen from the input length ("auto"), and the choice is logged.
 */
final class PositionOptions {
    @Option(names = "--rope-method", paramLabel = "METHOD",
            description = "none, self-extend, self-extend-llamacpp, linear, ntk, dynamic-ntk, yarn, streaming, dca, rerope, "
                    + "leaky-rerope (default: self-extend when --group-size is given, else none)")
    String ropeMethod;

    @Option(names = {"--group-size", "-gan", "--grp-attn-n"}, paramLabel = "G",
            description = "Self-Extend group size G (1 = plain attention)")
    Integer groupSize;

    @Option(names = {"--window", "-gaw", "--grp-attn-w"}, paramLabel = "W",
            description = "Self-Extend neighbour window W (a multiple of G); the (Leaky) ReRoPE window w (default L/4)")
    Integer window;

    @Option(names = "--chunk-size", paramLabel = "S", description = "dca: chunk size s (default 3/4 of the trained context L)")
    Integer chunkSize;

    @Option(names = "--local-window", paramLabel = "W", description = "dca: local window w, 1 <= w <= s, s + w <= L (default L - s)")
    Integer localWindow;

    @Option(names = "--leak", paramLabel = "K",
            description = "leaky-rerope: leak factor k > 1 (default: the smallest whole k with w + (N-w)/k <= 2/3 L)")
    Double leak;

    @Option(names = "--self-extend", paramLabel = "auto|off",
            description = "'auto' picks G from the input length and the trained context (W = L/4 unless --window is given)")
    String selfExtend;

    @Option(names = "--rope-scale", paramLabel = "S",
            description = "scale factor s for linear, ntk, yarn (default: input length / trained context); α for dynamic-ntk (default 1)")
    Double ropeScale;

    @Option(names = "--yarn-alpha", paramLabel = "A", defaultValue = "1", description = "YaRN ramp start α (default ${DEFAULT-VALUE})")
    double yarnAlpha;

    @Option(names = "--yarn-beta", paramLabel = "B", defaultValue = "32", description = "YaRN ramp end β (default ${DEFAULT-VALUE})")
    double yarnBeta;

    @Option(names = "--sinks", paramLabel = "N", defaultValue = "4", description = "streaming: attention-sink tokens kept (default ${DEFAULT-VALUE})")
    int sinks;

    @Option(names = "--recent", paramLabel = "N", description = "streaming: recent tokens kept (default: trained context - sinks)")
    Integer recent;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N",
            description = "tokens per decode call, as llama.cpp's -b (default 2048); only self-extend-llamacpp depends on it")
    Integer batchSize;

    /** Applies the session-level settings (llama.cpp's decode-call size). */
    void configure(dev.longlm.generate.Session session) {
        if (batchSize != null) {
            session.setDecodeCallSize(batchSize);
        }
    }

    /** The method for an input of {@code length} positions on a model trained on {@code trained}. */
    ContextMethod resolve(int trained, int length, PrintStream log) {
        if (selfExtend != null && !selfExtend.equals("auto") && !selfExtend.equals("off")) {
            throw new InputException("--self-extend takes 'auto' or 'off', got '" + selfExtend + "'");
        }
        ContextMethod.Kind kind = ropeMethod != null ? ContextMethod.Kind.parse(ropeMethod)
                : groupSize != null || "auto".equals(selfExtend) ? ContextMethod.Kind.SELF_EXTEND : ContextMethod.Kind.NONE;
        if ("off".equals(selfExtend) && kind == ContextMethod.Kind.SELF_EXTEND) {
            throw new InputException("--self-extend off contradicts --group-size/--rope-method self-extend");
        }
        checkParameters(kind, groupSize, window, chunkSize, localWindow, leak);
        double scale = ropeScale != null ? ropeScale : Math.max(1.0, (double) length / trained);
        ContextMethod method = switch (kind) {
            case NONE -> ContextMethod.none();
            case SELF_EXTEND, SELF_EXTEND_LLAMACPP -> selfExtendMethod(kind, trained, length, log);
            case LINEAR -> ContextMethod.linear(scale);
            case NTK -> ContextMethod.ntk(scale);
            case DYNAMIC_NTK -> ContextMethod.dynamicNtk(ropeScale != null ? ropeScale : 1.0);
            case YARN -> ContextMethod.yarn(scale, yarnAlpha, yarnBeta);
            case STREAMING -> ContextMethod.streaming(sinks, recent != null ? recent : Math.max(1, trained - sinks));
            case DCA -> logChoice(DualChunkAttention.auto(trained, length, chunkSize, localWindow),
                    chunkSize == null || localWindow == null, kind, trained, length, log);
            case REROPE -> logChoice(ReRope.auto(trained, length, window), window == null, kind, trained, length, log);
            case LEAKY_REROPE -> logChoice(LeakyReRope.auto(trained, length, window, leak), window == null || leak == null,
                    kind, trained, length, log);
        };
        if (length > method.maxLength(trained) && kind != ContextMethod.Kind.NONE) {
            throw new InputException("input of " + length + " positions exceeds the maximum " + method.maxLength(trained)
                    + " of " + method.describe() + " on a model trained on " + trained + " tokens");
        }
        return method;
    }

    /** Rejects parameters that the method {@code kind} does not take (each flag belongs to some methods only). */
    static void checkParameters(ContextMethod.Kind kind, Integer groupSize, Integer window, Integer chunkSize, Integer localWindow,
                                Double leak) {
        boolean selfExtend = kind.selfExtend();
        boolean rerope = kind == ContextMethod.Kind.REROPE || kind == ContextMethod.Kind.LEAKY_REROPE;
        if (groupSize != null && !selfExtend) {
            throw new InputException("--group-size applies to self-extend methods, not to --rope-method " + kind.flag());
        }
        if (window != null && !selfExtend && !rerope) {
            throw new InputException("--window applies to self-extend, rerope and leaky-rerope, not to --rope-method " + kind.flag());
        }
        if ((chunkSize != null || localWindow != null) && kind != ContextMethod.Kind.DCA) {
            throw new InputException("--chunk-size/--local-window apply to --rope-method dca, not to " + kind.flag());
        }
        if (leak != null && kind != ContextMethod.Kind.LEAKY_REROPE) {
            throw new InputException("--leak applies to --rope-method leaky-rerope, not to " + kind.flag());
        }
    }

    /** Logs what an "auto" choice picked (when some parameter was left to it). */
    private static ContextMethod logChoice(ContextMethod method, boolean auto, ContextMethod.Kind kind, int trained, int length,
                                           PrintStream log) {
        if (auto) {
            log.println(kind.flag() + " auto: " + length + " tokens, trained context " + trained + " -> "
                    + (method instanceof Plain ? "plain attention (the input fits)" : method.describe()));
        }
        return method;
    }

    private ContextMethod selfExtendMethod(ContextMethod.Kind kind, int trained, int length, PrintStream log) {
        int g;
        int w;
        if ("auto".equals(selfExtend)) {
            if (groupSize != null) {
                throw new InputException("--self-extend auto chooses the group size itself; drop --group-size");
            }
            if (!(SelfExtend.auto(trained, length, window) instanceof SelfExtend se)) {
                log.println("self-extend auto: " + length + " tokens, trained context " + trained + " -> plain attention (the input fits)");
                return ContextMethod.none();
            }
            log.println("self-extend auto: " + length + " tokens, trained context " + trained + " -> G=" + se.groupSize()
                    + " W=" + se.window());
            g = se.groupSize();
            w = se.window();
        } else {
            if (groupSize == null || window == null) {
                throw new InputException("self-extend needs --group-size G and --window W (a multiple of G), or --self-extend auto");
            }
            g = groupSize;
            w = window;
            if (g == 1) {
                SelfExtend.checkFitsPlain(length, trained);
            } else {
                SelfExtend.of(g, w).checkFits(length, trained);
            }
        }
        return kind == ContextMethod.Kind.SELF_EXTEND_LLAMACPP
                ? ContextMethod.selfExtendLlamaCpp(g, w)
                : ContextMethod.selfExtend(g, w);
    }
}
