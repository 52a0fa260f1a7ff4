package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.eval.MethodSpec;
import dev.longlm.eval.PasskeyEval;
import dev.longlm.eval.PasskeyPrompt;
import dev.longlm.eval.PasskeyPrompts;
import dev.longlm.eval.PerplexityEval;
import dev.longlm.eval.PerplexityProtocol;
import dev.longlm.eval.ResultRow;
import dev.longlm.eval.chart.ChartWriter;
import dev.longlm.eval.chart.HeatMapSpec;
import dev.longlm.model.Model;
import dev.longlm.backend.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Settings sweep: passkey accuracy or perplexity for every (group size G, window W) of Self-Extend at one length "
                + "(or every (chunk size s, local window w) of DCA, (leak k, window w) of Leaky ReRoPE, window w of ReRoPE); "
                + "prints the best setting and draws a heat map, for tuning G and W as the Self-Extend authors recommend.",
                "Example: longlm sweep --task passkey --length 1024 --group-sizes 4,8,16,32 --window-sizes 32,64,128 --plot sweep.png"})
final class SweepCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    EvalOutputOptions output;

    @Option(names = "--task", paramLabel = "passkey|perplexity", defaultValue = "passkey", description = "what to measure (default ${DEFAULT-VALUE})")
    String task;

    @Option(names = "--length", paramLabel = "N", required = true, description = "input length in tokens")
    int length;

    @Option(names = "--group-sizes", paramLabel = "G,G,…", defaultValue = "2,4,8,16,32", description = "group sizes (default ${DEFAULT-VALUE})")
    String groupSizes;

    @Option(names = "--window-sizes", paramLabel = "W,W,…", defaultValue = "16,32,64,128",
            description = "neighbour windows W (DCA: local windows w; ReRoPE: windows w) (default ${DEFAULT-VALUE})")
    String windowSizes;

    @Option(names = "--chunk-sizes", paramLabel = "S,S,…", defaultValue = "64,128,160,192", description = "dca: chunk sizes (default ${DEFAULT-VALUE})")
    String chunkSizes;

    @Option(names = "--leaks", paramLabel = "K,K,…", defaultValue = "2,4,8,16,32", description = "leaky-rerope: leak factors (default ${DEFAULT-VALUE})")
    String leaks;

    @Option(names = {"--method", "--self-extend-variant"}, paramLabel = "METHOD", defaultValue = "self-extend",
            description = "self-extend (default), self-extend-llamacpp (llama.cpp's approximation), dca, rerope or leaky-rerope")
    String variant;

    @Option(names = "--trials", paramLabel = "T", defaultValue = "20", description = "passkey: exercises per cell (default ${DEFAULT-VALUE})")
    int trials;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "passkey: seed of the keys (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = {"--text-file", "-f"}, paramLabel = "FILE", description = "perplexity: the text to score")
    Path textFile;

    @Option(names = "--windows", paramLabel = "K", defaultValue = "4", description = "perplexity: windows of N tokens (default ${DEFAULT-VALUE})")
    int windows;

    @Override
    public Integer call() {
        boolean passkey = switch (task) {
            case "passkey" -> true;
            case "perplexity" -> false;
            default -> throw new InputException("--task takes passkey or perplexity, got '" + task + "'");
        };
        if (!passkey && textFile == null) {
            throw new InputException("--task perplexity needs --text-file FILE");
        }
        ContextMethod.Kind kind = ContextMethod.Kind.parse(variant);
        SweepGrid grid = SweepGrid.of(kind, groupSizes, chunkSizes, leaks);
        int[] gs = grid.columns();
        int[] ws = IntList.parse("--window-sizes", windowSizes, 1);
        IntList.parse("--length", Integer.toString(length), 2);
        output.checkWritable();
        double[][] values = new double[ws.length][gs.length];
        for (double[] r : values) {
            Arrays.fill(r, Double.NaN);
        }
        List<ResultRow> rows = new ArrayList<>();
        try (Model model = Model.load(modelOptions.modelPath());
             Backend backend = modelOptions.openBackend()) {
            int trained = model.config().contextLength();
            List<PasskeyPrompt> prompts = passkey ? PasskeyPrompts.build(model.tokenizer(), length, trials, null, 0, seed) : null;
            int[] stream = passkey ? null : TextInput.tokenize(model, textFile);
            PerplexityProtocol protocol = PerplexityProtocol.modelCard(windows);
            for (int w = 0; w < ws.length; w++) {
                for (int g = 0; g < gs.length; g++) {
                    ResultRow.Builder row = grid.cell(ResultRow.builder().put("length", length).put("method", kind.flag()), gs[g], ws[w]);
                    Optional<ContextMethod> method = grid.setting(gs[g], ws[w], trained);
                    Optional<ContextMethod> fits = method.flatMap(m -> length <= m.maxLength(trained) ? Optional.of(m) : Optional.empty());
                    if (fits.isEmpty()) {
                        rows.add(row.put(passkey ? "accuracy" : "ppl", null).put("note", method.isEmpty()
                                ? grid.invalidNote() : "beyond the setting's maximum length").build());
                        continue;
                    }
                    SessionMemory.check(backend, model, fits.get(), length, !passkey, "--length " + length, "--length");
                    String label = "sweep N=" + length + " " + grid.describe(gs[g], ws[w]);
                    if (passkey) {
                        Progress progress = new Progress(label, PasskeyEval.work(prompts));
                        PasskeyEval.Cell cell = PasskeyEval.run(model, fits.get(), length, prompts, backend, progress::update);
                        values[w][g] = cell.accuracy();
                        rows.add(row.put("trials", trials).put("correct", cell.correct()).put("accuracy", cell.accuracy()).build());
                    } else {
                        Progress progress = new Progress(label, PerplexityEval.work(stream, length, protocol));
                        PerplexityEval.Cell cell = PerplexityEval.run(model, fits.get(), stream, length, protocol, backend, progress::update);
                        values[w][g] = cell.perplexity();
                        rows.add(row.put("windows", cell.windows()).put("ppl", cell.perplexity()).build());
                    }
                }
            }
        }
        report(grid, passkey, gs, ws, values);
        output.write(rows, png -> plot(grid, png, passkey, gs, ws, values));
        return 0;
    }

    private void report(SweepGrid grid, boolean passkey, int[] gs, int[] ws, double[][] values) {
        String metric = passkey ? "passkey accuracy (" + trials + " trials)" : "perplexity of " + textFile.getFileName();
        System.out.println(metric + " at N=" + length + " (rows: " + grid.rowName() + ", columns: " + grid.columnName()
                + "; – : not a valid setting or too short)");
        String[][] cells = new String[ws.length][gs.length];
        int bestW = -1;
        int bestG = -1;
        for (int w = 0; w < ws.length; w++) {
            for (int g = 0; g < gs.length; g++) {
                double v = values[w][g];
                cells[w][g] = Double.isNaN(v) ? "–" : String.format(Locale.ROOT, passkey ? "%.2f" : "%.1f", v);
                boolean better = bestW < 0 || (passkey ? v > values[bestW][bestG] : v < values[bestW][bestG]);
                if (!Double.isNaN(v) && better) {
                    bestW = w;
                    bestG = g;
                }
            }
        }
        ResultTable.print(System.out, grid.rowName() + " \\ " + grid.columnName(), Arrays.stream(gs).mapToObj(grid::columnLabel).toList(),
                Arrays.stream(ws).mapToObj(w -> grid.rowName() + w).toList(), cells);
        if (bestW < 0) {
            System.out.println("no setting reaches N=" + length + "; " + grid.noneFitsHint());
        } else {
            System.out.printf(Locale.ROOT, "best: %s (%s %s)%n", grid.flags(gs[bestG], ws[bestW]),
                    passkey ? "accuracy" : "ppl", cells[bestW][bestG]);
            List<String> ties = new ArrayList<>();
            for (int w = 0; w < ws.length; w++) {
                for (int g = 0; g < gs.length; g++) {
                    if ((w != bestW || g != bestG) && values[w][g] == values[bestW][bestG]) {
                        ties.add(grid.describe(gs[g], ws[w]));
                    }
                }
            }
            if (!ties.isEmpty()) {
                // Equal scores: more trials (or a longer length) would separate them.
                System.out.println("tied with it: " + String.join(", ", ties) + " (more --trials would separate them)");
            }
        }
    }

    private void plot(SweepGrid grid, Path png, boolean passkey, int[] gs, int[] ws, double[][] values) {
        double low = passkey ? 0 : Arrays.stream(values).flatMapToDouble(Arrays::stream).filter(Double::isFinite).min().orElse(0);
        double high = passkey ? 1 : Arrays.stream(values).flatMapToDouble(Arrays::stream).filter(Double::isFinite).max().orElse(1);
        ChartWriter.writeHeatMap(new HeatMapSpec((passkey ? "Passkey accuracy" : "Perplexity") + " at N=" + length + ", " + grid.title(),
                grid.columnAxis(), grid.rowAxis(), Arrays.stream(gs).mapToObj(grid::columnLabel).toList(),
                Arrays.stream(ws).mapToObj(Integer::toString).toList(), values, low, Math.max(high, low + 1e-9), passkey,
                passkey ? "0.00" : "0.0"), png);
    }
}
