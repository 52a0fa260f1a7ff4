package dev.longlm.cli;

import dev.longlm.attention.ContextMethod;
import dev.longlm.eval.MethodSpec;
import dev.longlm.eval.NeedlePrompts;
import dev.longlm.eval.PasskeyEval;
import dev.longlm.eval.PasskeyPrompt;
import dev.longlm.eval.PasskeyPrompts;
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

@Command(name = "needle", mixinStandardHelpOptions = true,
        description = {"Needle in a haystack: a sentence with a random number hidden at each depth of your text, for each length; "
                + "the heat map shows found (green) to missed (red).",
                "Example: longlm needle --haystack book.txt --lengths 256,512,1024 --depths 0,0.25,0.5,0.75,1 "
                        + "--methods self-extend:16:64 --plot needle.png"})
final class NeedleCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    MethodOptions methodOptions;
    @Mixin
    EvalOutputOptions output;

    @Option(names = "--haystack", paramLabel = "FILE", required = true, description = "the text to hide the needle in (its start is used)")
    Path haystack;

    @Option(names = "--lengths", paramLabel = "N,N,…", defaultValue = "256,512,1024", description = "prompt lengths (default ${DEFAULT-VALUE})")
    String lengths;

    @Option(names = "--depths", paramLabel = "D,D,…", defaultValue = "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1",
            description = "needle depths 0…1 (default ${DEFAULT-VALUE})")
    String depths;

    @Option(names = "--trials", paramLabel = "T", defaultValue = "1", description = "keys per cell (default ${DEFAULT-VALUE})")
    int trials;

    @Option(names = "--needle", paramLabel = "TEXT", defaultValue = NeedlePrompts.DEFAULT_NEEDLE,
            description = "needle sentence with {key} for the number (default \"${DEFAULT-VALUE}\")")
    String needle;

    @Option(names = "--question", paramLabel = "TEXT", defaultValue = NeedlePrompts.DEFAULT_QUESTION,
            description = "question after the haystack, answered by the number (default \"${DEFAULT-VALUE}\")")
    String question;

    @Option(names = "--digits", paramLabel = "D", defaultValue = "5", description = "digits of the number (default ${DEFAULT-VALUE})")
    int digits;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "seed of the numbers (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
        int[] ns = IntList.parse("--lengths", lengths, 2);
        double[] ds = IntList.parseFractions("--depths", depths);
        IntList.parse("--trials", Integer.toString(trials), 1);
        List<MethodSpec> methods = methodOptions.resolve();
        output.checkWritable();
        List<ResultRow> rows = new ArrayList<>();
        List<double[][]> grids = new ArrayList<>();
        try (Model model = Model.load(modelOptions.modelPath());
             Backend backend = modelOptions.openBackend()) {
            NeedlePrompts prompts = NeedlePrompts.of(model.tokenizer(), TextInput.readText(haystack), needle, question);
            int trained = model.config().contextLength();
            for (MethodSpec spec : methods) {
                double[][] grid = new double[ds.length][ns.length];
                for (double[] r : grid) {
                    Arrays.fill(r, Double.NaN);
                }
                for (int l = 0; l < ns.length; l++) {
                    Optional<ContextMethod> method = spec.resolve(trained, ns[l]);
                    List<String> keys = PasskeyPrompts.keys(seed ^ ns[l], ds.length * trials, digits);
                    for (int d = 0; d < ds.length; d++) {
                        ResultRow.Builder row = ResultRow.builder().put("length", ns[l]).put("depth", ds[d]);
                        if (method.isEmpty()) {
                            rows.add(row.putAll(spec.settings(trained)).put("trials", trials).put("accuracy", null)
                                    .put("note", "beyond the method's maximum length").build());
                            continue;
                        }
                        List<PasskeyPrompt> cell = new ArrayList<>();
                        for (int t = 0; t < trials; t++) {
                            cell.add(prompts.build(ns[l], keys.get(d * trials + t), ds[d]));
                        }
                        Progress progress = new Progress(String.format(Locale.ROOT, "needle N=%d depth %.2f %s", ns[l], ds[d], spec.label()),
                                PasskeyEval.work(cell));
                        SessionMemory.check(backend, model, method.get(), ns[l], false, "--lengths " + ns[l], "--lengths");
                        double accuracy = PasskeyEval.run(model, method.get(), ns[l], cell, backend, progress::update).accuracy();
                        grid[d][l] = accuracy;
                        rows.add(row.putAll(method.get().settings()).put("trials", trials).put("accuracy", accuracy).build());
                    }
                }
                grids.add(grid);
            }
        }
        List<String> lengthLabels = Arrays.stream(ns).mapToObj(Integer::toString).toList();
        List<String> depthLabels = Arrays.stream(ds).mapToObj(d -> String.format(Locale.ROOT, "%.0f%%", d * 100)).toList();
        for (int m = 0; m < methods.size(); m++) {
            System.out.println("needle retrieval, " + methods.get(m).label() + " (rows: depth; columns: length; "
                    + trials + " trial(s) per cell)");
            String[][] cells = new String[ds.length][ns.length];
            for (int d = 0; d < ds.length; d++) {
                for (int l = 0; l < ns.length; l++) {
                    double v = grids.get(m)[d][l];
                    cells[d][l] = Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", v);
                }
            }
            ResultTable.print(System.out, "depth", lengthLabels, depthLabels, cells);
        }
        output.write(rows, png -> {
            for (int m = 0; m < methods.size(); m++) {
                Path file = methods.size() == 1 ? png : PlotFiles.withSuffix(png, methods.get(m).label());
                ChartWriter.writeHeatMap(new HeatMapSpec("Needle in a haystack: " + methods.get(m).label(), "input length N (tokens)",
                        "needle depth", lengthLabels, depthLabels, grids.get(m), 0, 1, true, "0.00"), file);
            }
        });
        return 0;
    }
}
