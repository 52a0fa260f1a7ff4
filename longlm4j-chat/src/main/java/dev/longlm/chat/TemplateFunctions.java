package dev.longlm.chat;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Functions that Hugging Face's and llama.cpp's template environments provide; jinjava calls
 * them as static methods.
 */
public final class TemplateFunctions {
    private TemplateFunctions() {
    }

    /** Templates call {@code raise_exception(msg)} to reject conversations they cannot render. */
    public static String raiseException(String message) {
        throw new TemplateRaisedException(message);
    }

    /** {@code strftime_now(format)} with the strftime codes templates use. */
    public static String strftimeNow(String format) {
        LocalDateTime now = LocalDateTime.now();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char code = format.charAt(++i);
            String pattern = switch (code) {
                case 'd' -> "dd";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'Y' -> "yyyy";
                case 'm' -> "MM";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'A' -> "EEEE";
                case 'a' -> "EEE";
                default -> null;
            };
            if (pattern == null) {
                out.append('%').append(code);
            } else {
                out.append(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH).format(now));
            }
        }
        return out.toString();
    }

    /** The exception {@code raise_exception} throws; carries the template's own message. */
    public static final class TemplateRaisedException extends RuntimeException {
        TemplateRaisedException(String message) {
            super(message);
        }
    }
}
