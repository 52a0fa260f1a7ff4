package dev.longlm.cli;

import java.io.PrintStream;

/** A one-line progress indicator on stderr, shown only when stderr is a terminal. */
final class Progress {
    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean enabled;
    private final long startNanos = System.nanoTime();
    private long lastPrint;

    Progress(String label, long total) {
        this.label = label;
        this.total = total;
        this.out = System.err;
        java.io.Console console = System.console();
        this.enabled = console != null && console.isTerminal() && !"dumb".equals(System.getenv("TERM"));
    }

    void update(long done) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - lastPrint < 200_000_000L) {
            return;
        }
        lastPrint = now;
        double seconds = (now - startNanos) / 1e9;
        out.printf("\r%s: %3d%% (%d/%d) %.1fs", label, total == 0 ? 100 : done * 100 / total, done, total, seconds);
        if (done >= total) {
            out.println();
        }
        out.flush();
    }
}
