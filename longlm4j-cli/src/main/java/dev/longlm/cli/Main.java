package dev.longlm.cli;

import dev.longlm.InputException;
import picocli.CommandLine;

import java.io.PrintWriter;

/** Entry point: runs a subcommand; bad input ends with one line on stderr and exit code 2. */
public final class Main {
    public static final int EXIT_BAD_INPUT = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new LongLmCommand());
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setParameterExceptionHandler((ex, arguments) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            String sub = ex.getCommandLine().getCommandSpec().qualifiedName(" ").replaceFirst("^longlm ?", "");
            err.println("longlm: " + dev.longlm.Printable.escaped(ex.getMessage(), 300)
                    + " (see 'longlm " + (sub.isEmpty() ? "" : sub + " ") + "--help')");
            return EXIT_BAD_INPUT;
        });
        cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            PrintWriter err = commandLine.getErr();
            if (verbose) {
                ex.printStackTrace(err);
            }
            if (ex instanceof InputException) {
                err.println("longlm: " + ex.getMessage());
                return EXIT_BAD_INPUT;
            }
            // Files and sockets failing (a full disk, a closed pipe, permissions) are the environment's
            // doing, not a bug: one line, as for bad input.
            java.io.IOException io = ex instanceof java.io.IOException e ? e
                    : ex instanceof java.io.UncheckedIOException u ? u.getCause() : null;
            if (io != null) {
                err.println("longlm: I/O error (" + io.getClass().getSimpleName() + "): "
                        + dev.longlm.Printable.escaped(String.valueOf(io.getMessage()), 300) + "; check the paths, permissions and free space");
                return EXIT_BAD_INPUT;
            }
            err.println("longlm: internal error: " + ex + (verbose ? "" : " (rerun with --verbose for the stack trace)"));
            return 1;
        });
        return cmd;
    }
}
