package dev.longlm.backend.cuda;

import java.util.Locale;

/** Byte counts as people read them in messages: binary units, two decimals. */
public final class Bytes {
    private Bytes() {
    }

    /** {@code 1536 → "1.50 KiB"}, {@code 3 × 2³⁰ → "3.00 GiB"}; below 1 KiB the exact count. */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes / 1024.0;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.2f %s", value, units[unit]);
    }
}
