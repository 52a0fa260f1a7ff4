package dev.longlm.gguf;

import dev.longlm.InputException;
import dev.longlm.Printable;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with typed accessors. A missing or
 * mistyped required key is an {@link InputException} naming the file and the key.
 */
public final class GgufMetadata {
    private final String source;
    private final Map<String, GgufValue> values;

    public GgufMetadata(String source, Map<String, GgufValue> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public Map<String, GgufValue> asMap() {
        return values;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Optional<Object> raw(String key) {
        GgufValue v = values.get(key);
        return v == null ? Optional.empty() : Optional.of(v.value());
    }

    public String getString(String key) {
        return require(key, String.class);
    }

    public String getString(String key, String fallback) {
        return optional(key, String.class).orElse(fallback);
    }

    /** An integer-typed value (a float-typed one is refused, not truncated) that fits in an int. */
    public int getInt(String key) {
        require(key, Number.class);
        return toInt(key, integer(key));
    }

    public int getInt(String key, int fallback) {
        return contains(key) ? toInt(key, integer(key)) : fallback;
    }

    /** An integer-typed value; UINT32 values keep their full unsigned range. */
    public long getLong(String key, long fallback) {
        return contains(key) ? integer(key) : fallback;
    }

    public float getFloat(String key) {
        return require(key, Number.class).floatValue();
    }

    public float getFloat(String key, float fallback) {
        return optional(key, Number.class).map(Number::floatValue).orElse(fallback);
    }

    public boolean getBoolean(String key, boolean fallback) {
        return optional(key, Boolean.class).orElse(fallback);
    }

    public Optional<String[]> getStrings(String key) {
        return optional(key, String[].class);
    }

    public Optional<float[]> getFloats(String key) {
        return optional(key, float[].class);
    }

    /** An integer array of any on-disk width up to 32 bits. */
    public Optional<int[]> getInts(String key) {
        return optional(key, int[].class);
    }

    private <T> T require(String key, Class<T> type) {
        return optional(key, type).orElseThrow(
                () -> new InputException(source + ": missing metadata key " + Printable.quoted(key) + "; is this a complete GGUF model?"));
    }

    private <T> Optional<T> optional(String key, Class<T> type) {
        GgufValue v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!type.isInstance(v.value())) {
            throw new InputException(source + ": metadata key " + Printable.quoted(key) + " has type " + describe(v)
                    + ", expected " + type.getSimpleName());
        }
        return Optional.of(type.cast(v.value()));
    }

    private long integer(String key) {
        GgufValue v = values.get(key);
        Number n = optional(key, Number.class).orElseThrow();
        return switch (v.type()) {
            case UINT8, INT8, UINT16, INT16, INT32, INT64 -> n.longValue();
            case UINT32 -> Integer.toUnsignedLong(n.intValue());
            case UINT64 -> {
                if (n.longValue() < 0) {
                    throw new InputException(source + ": metadata key " + Printable.quoted(key) + " = "
                            + Long.toUnsignedString(n.longValue()) + " is out of range");
                }
                yield n.longValue();
            }
            default -> throw new InputException(source + ": metadata key " + Printable.quoted(key) + " has type "
                    + describe(v) + " (" + n + "), expected an integer type");
        };
    }

    private int toInt(String key, long l) {
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new InputException(source + ": metadata key " + Printable.quoted(key) + " = " + l + " is out of range");
        }
        return (int) l;
    }

    private static String describe(GgufValue v) {
        return v.type() == GgufValueType.ARRAY ? "array of " + v.elementType() : v.type().toString();
    }
}
