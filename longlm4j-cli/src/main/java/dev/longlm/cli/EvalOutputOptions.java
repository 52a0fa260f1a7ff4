package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.OutputFile;
import dev.longlm.eval.ResultFiles;
import dev.longlm.eval.ResultRow;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** --json, --csv and --plot: where an evaluation writes its cells besides the table on stdout. */
final class EvalOutputOptions {
    @Option(names = "--json", paramLabel = "FILE", description = "write one JSON object per cell (settings and result)")
    Path json;

    @Option(names = "--csv", paramLabel = "FILE", description = "write the cells as CSV")
    Path csv;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "draw a PNG chart")
    Path plot;

    /** Fails before any work is done when an output file cannot be written. */
    void checkWritable() {
        for (Path p : new Path[]{json, csv, plot}) {
            if (p == null) {
                continue;
            }
            OutputFile.requireWritable(p);
        }
        if (plot != null && !plot.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
            throw new InputException("--plot writes PNG; give a file name ending in .png, got " + plot);
        }
    }

    void write(List<ResultRow> rows, Consumer<Path> chart) {
        if (json != null) {
            writeText(json, w -> ResultFiles.writeJson(rows, w));
        }
        if (csv != null) {
            writeText(csv, w -> ResultFiles.writeCsv(rows, w));
        }
        if (plot != null) {
            chart.accept(plot);
        }
    }

    private interface WriterTask {
        void run(Writer w) throws IOException;
    }

    private static void writeText(Path file, WriterTask task) {
        OutputFile.replace(file, temporary -> {
            try (Writer w = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
                task.run(w);
            }
        });
    }
}
