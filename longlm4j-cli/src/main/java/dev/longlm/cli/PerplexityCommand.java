package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.eval.MethodSpec;
import dev.longlm.eval.PerplexityEval;
import dev.longlm.eval.PerplexityProtocol;
import dev.longlm.eval.ResultRow;
import dev.longlm.model.Model;
import dev.longlm.backend.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = {"Perplexity of a text per window length and context method.",
                "Default protocol (models/MODEL_CARD.md): token stream = BOS + the file's tokens; --windows non-overlapping "
                        + "windows of N+1 tokens from stream index 1, 1+N, …; all N predictions scored; PPL = exp(mean NLL).",
                "llama.cpp's llama-perplexity: --bos-per-window --score second-half.",
                "Example: longlm perplexity --text-file sherlock.txt --lengths 256,512,1024 --methods none,self-extend:8:64 --plot ppl.png"})
final class PerplexityCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    MethodOptions methodOptions;
    @Mixin
    EvalOutputOptions output;

    @Option(names = {"--text-file", "-f"}, paramLabel = "FILE", description = "the text to score (required unless --from-json)")
    Path textFile;

    @Option(names = "--from-json", paramLabel = "FILE",
            description = "redraw the table, --csv, --json and --plot from earlier --json results instead of running (repeatable: merges)")
    List<Path> fromJson = new ArrayList<>();

    @Option(names = "--lengths", paramLabel = "N,N,…", defaultValue = "256,512,1024",
            description = "window lengths in positions (default ${DEFAULT-VALUE})")
    String lengths;

    @Option(names = "--windows", paramLabel = "K", defaultValue = "4",
            description = "windows per length (default ${DEFAULT-VALUE}; 0 = all the text holds)")
    int windows;

    @Option(names = "--score", paramLabel = "all|second-half", defaultValue = "all",
            description = "which predictions count: all (default) or second-half (those with at least N/2 tokens of context)")
    String score;

    @Option(names = "--bos-per-window", description = "windows of N tokens starting at index 0, N, 2N, … with the first token replaced by BOS (llama-perplexity)")
    boolean bosPerWindow;

    @Override
    public Integer call() {
        if (!fromJson.isEmpty()) {
            output.checkWritable();
            LengthMethodGrid grid = LengthMethodGrid.fromRows(ResultJson.read(fromJson), "ppl");
            String name = textFile != null ? textFile.getFileName().toString() : "the text";
            System.out.println("perplexity of " + name + " (from " + fromJson + ")");
            grid.printTable(System.out, "%.1f");
            output.write(grid.rows, png -> grid.plot(png, "Perplexity on " + name, "perplexity", null));
            return 0;
        }
        if (textFile == null) {
            throw new InputException("perplexity needs --text-file FILE (or --from-json FILE to redraw earlier results)");
        }
        int[] ns = IntList.parse("--lengths", lengths, 2);
        if (!score.equals("all") && !score.equals("second-half")) {
            throw new InputException("--score takes all or second-half, got '" + score + "'");
        }
        PerplexityProtocol protocol = new PerplexityProtocol(windows, score.equals("second-half"), bosPerWindow);
        List<MethodSpec> methods = methodOptions.resolve();
        output.checkWritable();
        LengthMethodGrid grid = new LengthMethodGrid(ns, methods.stream().map(MethodSpec::label).toList());
        try (Model model = Model.load(modelOptions.modelPath());
             Backend backend = modelOptions.openBackend()) {
            int[] stream = TextInput.tokenize(model, textFile);
            int trained = model.config().contextLength();
            for (int l = 0; l < ns.length; l++) {
                for (int m = 0; m < methods.size(); m++) {
                    Optional<ContextMethod> method = methods.get(m).resolve(trained, ns[l]);
                    ResultRow.Builder row = ResultRow.builder().put("length", ns[l]).put("label", methods.get(m).label());
                    if (method.isEmpty()) {
                        grid.rows.add(row.putAll(methods.get(m).settings(trained)).put("ppl", null)
                                .put("note", "beyond the method's maximum length").build());
                        continue;
                    }
                    Progress progress = new Progress(String.format(Locale.ROOT, "perplexity N=%d %s", ns[l], methods.get(m).label()),
                            PerplexityEval.work(stream, ns[l], protocol));
                    SessionMemory.check(backend, model, method.get(), ns[l], true, "--lengths " + ns[l], "--lengths");
                    PerplexityEval.Cell cell = PerplexityEval.run(model, method.get(), stream, ns[l], protocol, backend, progress::update);
                    grid.values[l][m] = cell.perplexity();
                    grid.rows.add(row.putAll(method.get().settings()).put("windows", cell.windows())
                            .put("predictions", cell.predictions()).put("nll", cell.nll() / cell.predictions())
                            .put("ppl", cell.perplexity()).build());
                }
            }
        }
        System.out.println("perplexity of " + textFile.getFileName() + " (" + describe(protocol) + "; – : beyond the method's maximum length)");
        grid.printTable(System.out, "%.1f");
        output.write(grid.rows, png -> grid.plot(png, "Perplexity on " + textFile.getFileName(), "perplexity", null));
        return 0;
    }

    private static String describe(PerplexityProtocol p) {
        return (p.windows() == 0 ? "all" : Integer.toString(p.windows())) + " windows"
                + (p.bosPerWindow() ? ", BOS per window" : "") + (p.secondHalf() ? ", second half scored" : "");
    }
}
