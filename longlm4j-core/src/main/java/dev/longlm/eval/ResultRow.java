package dev.longlm.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One cell of an evaluation as result files list it: its settings (length, method fields from
 * {@code ContextMethod.settings()}, trials …) and its result (accuracy, ppl …), in insertion order.
 * Values are strings, numbers, booleans or null.
 */
public record ResultRow(Map<String, Object> fields) {
    public ResultRow {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Object get(String key) {
        return fields.get(key);
    }

    public static final class Builder {
        private final Map<String, Object> fields = new LinkedHashMap<>();

        public Builder put(String key, Object value) {
            fields.put(key, value);
            return this;
        }

        public Builder putAll(Map<String, ?> values) {
            fields.putAll(values);
            return this;
        }

        public ResultRow build() {
            return new ResultRow(fields);
        }
    }
}
