package dev.longlm.eval;

import java.io.IOException;
import java.io.Writer;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Result rows as JSON (an array with one object per cell) and CSV (one column per key that any row
 * has, in first-seen order; RFC 4180 quoting). NaN and infinite numbers are written as null / empty.
 */
public final class ResultFiles {
    private ResultFiles() {
    }

    public static void writeJson(List<ResultRow> rows, Writer out) throws IOException {
        out.write("[\n");
        for (int r = 0; r < rows.size(); r++) {
            out.write("  {");
            boolean first = true;
            for (var e : rows.get(r).fields().entrySet()) {
                if (!first) {
                    out.write(", ");
                }
                first = false;
                out.write(jsonString(e.getKey()));
                out.write(": ");
                out.write(jsonValue(e.getValue()));
            }
            out.write(r + 1 < rows.size() ? "},\n" : "}\n");
        }
        out.write("]\n");
    }

    public static void writeCsv(List<ResultRow> rows, Writer out) throws IOException {
        Set<String> columns = new LinkedHashSet<>();
        rows.forEach(r -> columns.addAll(r.fields().keySet()));
        out.write(String.join(",", columns.stream().map(ResultFiles::csvField).toList()));
        out.write("\r\n");
        for (ResultRow row : rows) {
            out.write(String.join(",", columns.stream().map(c -> csvField(csvValue(row.get(c)))).toList()));
            out.write("\r\n");
        }
    }

    static String jsonValue(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isFinite(d) ? number(d) : "null";
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        return jsonString(v.toString());
    }

    /** Whole numbers without ".0", others in Java's shortest round-tripping form. */
    static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    static String csvValue(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isFinite(d) ? number(d) : "";
        }
        return v.toString();
    }

    static String csvField(String s) {
        boolean quote = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;
        return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }
}
