package dev.longlm;

/**
 * Text that came from input (a file's bytes, a request, a flag) made safe to put in a one-line
 * message: control and other invisible characters are escaped so that nothing can move the
 * terminal's cursor or change its colours, and long text is cut so that one corrupt header cannot
 * print megabytes.
 */
public final class Printable {
    /** Characters of input shown in a message before it is cut. */
    public static final int MAX_SHOWN = 80;

    private Printable() {
    }

    /** {@code text} in single quotes, escaped and cut to {@link #MAX_SHOWN} characters. */
    public static String quoted(String text) {
        return "'" + escaped(text, MAX_SHOWN) + "'";
    }

    /**
     * {@code text} with control, format and unpaired surrogate characters written as {@code \n},
     * {@code \t}, {@code \xNN} or {@code \}{@code uNNNN}, cut after {@code max} characters with a note of how many were left out.
     */
    public static String escaped(String text, int max) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 16);
        int shown = 0;
        int i = 0;
        for (; i < text.length() && shown < max; shown++) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                case '\'' -> out.append("\\'");
                default -> {
                    if (cp < 0x20 || cp == 0x7F) {
                        out.append(String.format("\\x%02x", cp));
                    } else if (!visible(cp)) {
                        out.append(String.format("\\u%04x", cp));
                    } else {
                        out.appendCodePoint(cp);
                    }
                }
            }
        }
        if (i < text.length()) {
            out.append("… (").append(text.length() - i).append(" more characters)");
        }
        return out.toString();
    }

    private static boolean visible(int cp) {
        int type = Character.getType(cp);
        return type != Character.CONTROL && type != Character.FORMAT && type != Character.SURROGATE
                && type != Character.UNASSIGNED && type != Character.PRIVATE_USE
                && type != Character.LINE_SEPARATOR && type != Character.PARAGRAPH_SEPARATOR;
    }
}
