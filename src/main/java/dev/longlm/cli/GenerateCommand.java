package dev.longlm.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt.")
final class GenerateCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new dev.longlm.InputException("generate is not built yet");
    }
}
