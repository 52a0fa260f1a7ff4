package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.Printable;
import dev.longlm.gguf.GgufMetadata;

import java.nio.file.Path;

/**
 * Reads hyper-parameters from GGUF metadata and checks each against the range the forward pass
 * can use, so that a corrupt or hostile file fails with the key's name instead of a division by
 * zero, a negative array size or a silently absurd model.
 */
final class HyperParameterReader {
    private final GgufMetadata md;
    private final Path file;

    HyperParameterReader(GgufMetadata md, Path file) {
        this.md = md;
        this.file = file;
    }

    /** A required integer in {@code [min, max]}. */
    int integer(String key, int min, int max) {
        return checked(key, md.getInt(key), min, max);
    }

    /** An optional integer in {@code [min, max]}; the fallback is used (unchecked) when the key is absent. */
    int integer(String key, int fallback, int min, int max) {
        return md.contains(key) ? checked(key, md.getInt(key), min, max) : fallback;
    }

    /** An optional float that must be finite and in {@code (0, max)} (exclusive bounds). */
    float positive(String key, float fallback, float max) {
        if (!md.contains(key)) {
            return fallback;
        }
        float v = md.getFloat(key);
        if (!(v > 0 && v < max)) {
            throw error(key, String.valueOf(v), "must be a finite number above 0" + (max < Float.POSITIVE_INFINITY ? " and below " + max : ""));
        }
        return v;
    }

    /** An optional float that must be finite and not negative. */
    float nonNegative(String key, float fallback) {
        if (!md.contains(key)) {
            return fallback;
        }
        float v = md.getFloat(key);
        if (!(v >= 0 && v < Float.POSITIVE_INFINITY)) {
            throw error(key, String.valueOf(v), "must be a finite number, 0 or more");
        }
        return v;
    }

    InputException error(String key, String value, String rule) {
        return new InputException(file + ": metadata key " + Printable.quoted(key) + " = " + Printable.escaped(value, Printable.MAX_SHOWN)
                + " " + rule + "; the file is corrupt or was written by a converter this engine does not support");
    }

    private int checked(String key, int v, int min, int max) {
        if (v < min || v > max) {
            throw error(key, String.valueOf(v), "is outside the range " + min + " to " + max + " that the model can use");
        }
        return v;
    }
}
