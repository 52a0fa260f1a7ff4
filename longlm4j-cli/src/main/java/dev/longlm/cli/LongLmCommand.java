package dev.longlm.cli;

import picocli.CommandLine.Command;

@Command(name = "longlm", mixinStandardHelpOptions = true, version = "longlm4j 0.1.0",
        description = "GGUF language models on the CPU with exact Self-Extend for inputs beyond the trained context.",
        subcommands = {GenerateCommand.class, ChatCommand.class, ServeCommand.class, ScoreCommand.class, InfoCommand.class,
                QuantizeCommand.class, BenchCommand.class,
                PasskeyCommand.class, PerplexityCommand.class, NeedleCommand.class, SweepCommand.class})
final class LongLmCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
