package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.eval.MethodSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * The methods an evaluation compares: a --methods list, or the one method the usual position flags
 * (--rope-method, --group-size, --window, --rope-scale …) describe.
 */
final class MethodOptions {
    @Option(names = "--methods", paramLabel = "LIST",
            description = "methods to compare, e.g. none,self-extend:16:64,self-extend:32:64,yarn "
                    + "(self-extend[-llamacpp]:G:W, linear[:s], ntk[:s], dynamic-ntk[:alpha], yarn[:s[:alpha:beta]], streaming[:sinks:recent], "
                    + "dca[:s[:w]], rerope[:w], leaky-rerope[:w[:k]]); may be repeated")
    List<String> methods = new ArrayList<>();

    @Mixin
    PositionOptions positions;

    List<MethodSpec> resolve() {
        boolean flags = positions.ropeMethod != null || positions.groupSize != null || positions.window != null
                || positions.ropeScale != null || positions.selfExtend != null || positions.recent != null
                || positions.chunkSize != null || positions.localWindow != null || positions.leak != null;
        if (!methods.isEmpty()) {
            if (flags) {
                throw new InputException("give the methods either with --methods or with --rope-method/--group-size/--window, not both");
            }
            List<MethodSpec> specs = new ArrayList<>();
            methods.forEach(m -> specs.addAll(MethodSpec.parseList(m)));
            return specs;
        }
        return List.of(fromFlags());
    }

    private MethodSpec fromFlags() {
        if (positions.selfExtend != null) {
            throw new InputException("--self-extend is not available in evaluations; name the settings, e.g. --methods self-extend:16:64");
        }
        ContextMethod.Kind kind = positions.ropeMethod != null ? ContextMethod.Kind.parse(positions.ropeMethod)
                : positions.groupSize != null ? ContextMethod.Kind.SELF_EXTEND : ContextMethod.Kind.NONE;
        PositionOptions.checkParameters(kind, positions.groupSize, positions.window, positions.chunkSize, positions.localWindow,
                positions.leak);
        String scale = positions.ropeScale != null ? ":" + positions.ropeScale : "";
        String spec = switch (kind) {
            case NONE -> "none";
            case SELF_EXTEND, SELF_EXTEND_LLAMACPP -> {
                if (positions.groupSize == null || positions.window == null) {
                    throw new InputException("self-extend needs --group-size G and --window W");
                }
                yield kind.flag() + ":" + positions.groupSize + ":" + positions.window;
            }
            case LINEAR, NTK, DYNAMIC_NTK -> kind.flag() + scale;
            case YARN -> positions.ropeScale != null
                    ? "yarn:" + positions.ropeScale + ":" + positions.yarnAlpha + ":" + positions.yarnBeta
                    : positions.yarnAlpha != ContextMethod.YARN_DEFAULT_ALPHA || positions.yarnBeta != ContextMethod.YARN_DEFAULT_BETA
                    ? throwScaleNeeded() : "yarn";
            case STREAMING -> "streaming:" + positions.sinks + ":" + (positions.recent != null ? positions.recent : 0);
            // 0 leaves a parameter to the method's auto rule, per length
            case DCA -> "dca:" + orZero(positions.chunkSize) + ":" + orZero(positions.localWindow);
            case REROPE -> "rerope:" + orZero(positions.window);
            case LEAKY_REROPE -> "leaky-rerope:" + orZero(positions.window) + ":" + (positions.leak != null ? positions.leak : 0);
        };
        return MethodSpec.parse(spec);
    }

    private static int orZero(Integer value) {
        return value != null ? value : 0;
    }

    private static String throwScaleNeeded() {
        throw new InputException("--yarn-alpha/--yarn-beta need --rope-scale in evaluations (e.g. --methods yarn:4:1:32)");
    }
}
