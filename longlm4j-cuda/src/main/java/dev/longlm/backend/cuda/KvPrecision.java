package dev.longlm.backend.cuda;

import dev.longlm.InputException;

import java.util.Locale;

/** How a GPU KV store keeps keys and values: F16 (the default, as llama.cpp's) or F32 (the accuracy reference). */
public enum KvPrecision {
    F16(2, "f16"), F32(4, "f32");

    private final int bytes;
    private final String suffix;

    KvPrecision(int bytes, String suffix) {
        this.bytes = bytes;
        this.suffix = suffix;
    }

    public int bytes() {
        return bytes;
    }

    /** The kernels' name suffix for this element type. */
    String suffix() {
        return suffix;
    }

    public static KvPrecision parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f16" -> F16;
            case "f32" -> F32;
            default -> throw new InputException("unknown KV cache type '" + s + "'; choose f16 or f32");
        };
    }
}
