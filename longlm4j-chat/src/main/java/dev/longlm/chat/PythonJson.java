package dev.longlm.chat;

import java.math.BigDecimal;
import java.util.Map;

/**
 * JSON text as Python's {@code json.dumps} writes it, which chat templates' {@code tojson} filter is in
 * Hugging Face's and llama.cpp's engines: {@code ", "} between items and {@code ": "} after keys (or, with
 * an indent, newlines and {@code ","}), non-ASCII characters as they are. Tool definitions and call
 * arguments appear in prompts exactly as the model saw them in training only if this matches.
 */
final class PythonJson {
    private PythonJson() {
    }

    /** @param indent spaces per level, or negative for one line */
    static String dumps(Object value, int indent) {
        StringBuilder out = new StringBuilder();
        write(out, value, indent, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, int indent, int level) {
        switch (value) {
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case Double d -> out.append(number(d));
            case Float f -> out.append(number(f.doubleValue()));
            case BigDecimal d -> out.append(d.toPlainString());
            case Number n -> out.append(n);
            case Map<?, ?> map -> {
                out.append('{');
                int i = 0;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    separate(out, i++, indent, level + 1);
                    string(out, String.valueOf(e.getKey()));
                    out.append(": ");
                    write(out, e.getValue(), indent, level + 1);
                }
                close(out, i, indent, level, '}');
            }
            case Iterable<?> items -> {
                out.append('[');
                int i = 0;
                for (Object item : items) {
                    separate(out, i++, indent, level + 1);
                    write(out, item, indent, level + 1);
                }
                close(out, i, indent, level, ']');
            }
            case Object[] items -> write(out, java.util.Arrays.asList(items), indent, level);
            default -> string(out, value.toString());
        }
    }

    private static void separate(StringBuilder out, int index, int indent, int level) {
        if (index > 0) {
            out.append(indent < 0 ? ", " : ",");
        }
        if (indent >= 0) {
            out.append('\n').append(" ".repeat(indent * level));
        }
    }

    private static void close(StringBuilder out, int count, int indent, int level, char bracket) {
        if (count > 0 && indent >= 0) {
            out.append('\n').append(" ".repeat(indent * level));
        }
        out.append(bracket);
    }

    /** Python's float repr for the values JSON carries: integral values keep a ".0", exponents are e+NN/e-NN. */
    private static String number(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            return (long) d + ".0";
        }
        String s = Double.toString(d);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mantissa = s.substring(0, e).replaceAll("\\.0$", "");
        int exponent = Integer.parseInt(s.substring(e + 1));
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format(java.util.Locale.ROOT, "%02d", Math.abs(exponent));
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
