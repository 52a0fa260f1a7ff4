package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.eval.MethodSpec;
import dev.longlm.eval.PasskeyAnswer;
import dev.longlm.eval.PasskeyEval;
import dev.longlm.eval.PasskeyPrompt;
import dev.longlm.eval.PasskeyPrompts;
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

@Command(name = "passkey", mixinStandardHelpOptions = true,
        description = {"Passkey retrieval (LongLM example.py format, as models/MODEL_CARD.md describes): accuracy per input "
                + "length and context method.",
                "Example: longlm passkey --lengths 256,512,1024 --trials 20 --methods none,self-extend:16:64 --plot passkey.png"})
final class PasskeyCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    MethodOptions methodOptions;
    @Mixin
    EvalOutputOptions output;

    @Option(names = "--lengths", paramLabel = "N,N,…", defaultValue = "256,512,1024",
            description = "prompt + answer lengths in tokens (default ${DEFAULT-VALUE})")
    String lengths;

    @Option(names = "--trials", paramLabel = "T[,T,…]", defaultValue = "20",
            description = "exercises per cell (default ${DEFAULT-VALUE}); a list gives one count per --lengths entry")
    String trials;

    @Option(names = "--depths", paramLabel = "D,D,…",
            description = "needle depths 0…1 used in turn (default: trial t of T at (t+0.5)/T)")
    String depths;

    @Option(names = "--digits", paramLabel = "D", defaultValue = "0",
            description = "digits of every key (default 0: 3 to 8 digits, half of the keys 5)")
    int digits;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "seed of the random keys (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--show-answers", description = "print every exercise's key and answer to stderr")
    boolean showAnswers;

    @Option(names = "--from-json", paramLabel = "FILE",
            description = "redraw the table, --csv, --json and --plot from earlier --json results instead of running (repeatable: merges)")
    List<Path> fromJson = new ArrayList<>();

    @Override
    public Integer call() {
        if (!fromJson.isEmpty()) {
            output.checkWritable();
            LengthMethodGrid grid = LengthMethodGrid.fromRows(ResultJson.read(fromJson), "accuracy");
            String perCell = grid.rows.stream().map(r -> String.valueOf(r.get("trials"))).distinct()
                    .collect(java.util.stream.Collectors.joining("/")) + " trials per cell";
            finish(grid, perCell);
            return 0;
        }
        int[] ns = IntList.parse("--lengths", lengths, 1);
        int[] trialCounts = IntList.parse("--trials", trials, 1);
        if (trialCounts.length != 1 && trialCounts.length != ns.length) {
            throw new InputException("--trials takes one count or one per length (" + ns.length + "), got " + trialCounts.length);
        }
        double[] depthList = depths == null ? null : IntList.parseFractions("--depths", depths);
        List<MethodSpec> methods = methodOptions.resolve();
        output.checkWritable();
        LengthMethodGrid grid = new LengthMethodGrid(ns, methods.stream().map(MethodSpec::label).toList());
        try (Model model = Model.load(modelOptions.modelPath());
             Backend backend = modelOptions.openBackend()) {
            int trained = model.config().contextLength();
            for (int l = 0; l < ns.length; l++) {
                int trials = trialCounts[trialCounts.length == 1 ? 0 : l];
                List<PasskeyPrompt> prompts = PasskeyPrompts.build(model.tokenizer(), ns[l], trials, depthList, digits, seed);
                for (int m = 0; m < methods.size(); m++) {
                    Optional<ContextMethod> method = methods.get(m).resolve(trained, ns[l]);
                    ResultRow.Builder row = ResultRow.builder().put("length", ns[l]).put("label", methods.get(m).label());
                    if (method.isEmpty()) {
                        grid.rows.add(row.putAll(methods.get(m).settings(trained)).put("trials", trials).put("accuracy", null)
                                .put("note", "beyond the method's maximum length").build());
                        continue;
                    }
                    Progress progress = new Progress(String.format(Locale.ROOT, "passkey N=%d %s", ns[l], methods.get(m).label()),
                            PasskeyEval.work(prompts));
                    SessionMemory.check(backend, model, method.get(), ns[l], false, "--lengths " + ns[l], "--lengths");
                    PasskeyEval.Cell cell = PasskeyEval.run(model, method.get(), ns[l], prompts, backend, progress::update);
                    if (showAnswers) {
                        for (PasskeyAnswer a : cell.answers()) {
                            System.err.printf(Locale.ROOT, "N=%d %s depth %.3f key %s -> '%s' %s%n", ns[l], methods.get(m).label(),
                                    a.depth(), a.key(), a.generated().replace("\n", "\\n"), a.correct() ? "ok" : "wrong");
                        }
                    }
                    grid.values[l][m] = cell.accuracy();
                    grid.rows.add(row.putAll(method.get().settings()).put("trials", trials).put("correct", cell.correct())
                            .put("accuracy", cell.accuracy()).build());
                }
            }
        }
        finish(grid, trials.replace(",", "/") + " trials per cell");
        return 0;
    }

    private void finish(LengthMethodGrid grid, String perCell) {
        System.out.println("passkey accuracy (" + perCell + "; – : beyond the method's maximum length)");
        grid.printTable(System.out, "%.2f");
        output.write(grid.rows, png -> grid.plot(png, "Passkey retrieval (" + perCell + ")", "accuracy",
                new double[]{0, 1.05}));
    }
}
