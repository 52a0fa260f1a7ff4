package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.PositionScheme;
import dev.longlm.attention.SelfExtend;
import picocli.CommandLine.Option;

import java.io.PrintStream;

/** How attention positions beyond the trained context are handled: Self-Extend flags (llama.cpp aliases too). */
final class PositionOptions {
    @Option(names = {"--group-size", "-gan", "--grp-attn-n"}, paramLabel = "G",
            description = "Self-Extend group size G (1 = plain attention)")
    Integer groupSize;

    @Option(names = {"--window", "-gaw", "--grp-attn-w"}, paramLabel = "W",
            description = "Self-Extend neighbour window W (a multiple of G)")
    Integer window;

    @Option(names = "--self-extend", paramLabel = "auto|off",
            description = "'auto' picks G from the input length and the trained context (W = L/4 unless --window is given)")
    String selfExtend;

    /** The scheme for an input of {@code length} tokens on a model trained on {@code trained} positions. */
    PositionScheme resolve(int trained, int length, PrintStream log) {
        if (selfExtend != null && !selfExtend.equals("auto") && !selfExtend.equals("off")) {
            throw new InputException("--self-extend takes 'auto' or 'off', got '" + selfExtend + "'");
        }
        if ("auto".equals(selfExtend)) {
            if (groupSize != null) {
                throw new InputException("--self-extend auto chooses the group size itself; drop --group-size");
            }
            SelfExtend chosen = SelfExtend.auto(trained, length, window);
            log.println("self-extend auto: " + length + " tokens, trained context " + trained + " -> "
                    + (chosen.isPlain() ? "plain attention (the input fits)" : "G=" + chosen.groupSize() + " W=" + chosen.window()));
            return chosen;
        }
        if ("off".equals(selfExtend) || groupSize == null) {
            if (window != null && groupSize == null && !"off".equals(selfExtend)) {
                throw new InputException("--window needs --group-size (or --self-extend auto)");
            }
            return SelfExtend.NONE;
        }
        if (window == null) {
            throw new InputException("--group-size needs --window W (a multiple of G, e.g. " + Math.max(groupSize, 1) * 16 + ")");
        }
        SelfExtend se = SelfExtend.of(groupSize, window);
        se.checkFits(length, trained);
        return se;
    }
}
