package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.attention.RopeLayout;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What distinguishes an architecture from the llama forward pass. Optional tensors (biases, Q/K
 * norms) are found by name in the file, as llama.cpp does, so they need no flag here.
 */
public enum Architecture {
    LLAMA("llama", RopeLayout.ADJACENT_PAIRS);

    private final String ggufName;
    private final RopeLayout ropeLayout;

    Architecture(String ggufName, RopeLayout ropeLayout) {
        this.ggufName = ggufName;
        this.ropeLayout = ropeLayout;
    }

    public String ggufName() {
        return ggufName;
    }

    public RopeLayout ropeLayout() {
        return ropeLayout;
    }

    public static Architecture forName(String name, Path file) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        throw new InputException(file + ": unsupported architecture '" + name + "'; supported: "
                + Arrays.stream(values()).map(Architecture::ggufName).collect(Collectors.joining(", ")));
    }
}
