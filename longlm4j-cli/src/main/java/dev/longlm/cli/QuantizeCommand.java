package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.OutputFile;
import dev.longlm.quantize.ModelQuantizer;
import dev.longlm.quantize.QuantTarget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Convert an F32/F16/BF16 GGUF model to a quantized type, choosing tensor types as llama-quantize does.")
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "source GGUF model (F32, F16 or BF16 weights)")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "GGUF file to write")
    Path output;

    @Parameters(index = "2", paramLabel = "TYPE", description = "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K_M, Q5_K_M, Q6_K, F16 or BF16")
    String type;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: available cores)")
    Integer threads;

    @Option(names = "--verbose", description = "print stack traces")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        QuantTarget target = QuantTarget.parse(type);
        if (!Files.isRegularFile(input)) {
            throw new InputException(input + ": no such file; pass an F16/F32/BF16 GGUF model as IN");
        }
        OutputFile.requireWritable(output);
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (n < 1 || n > 1024) {
            throw new InputException("--threads must be between 1 and 1024, got " + n);
        }
        long start = System.nanoTime();
        var results = ModelQuantizer.quantize(input, output, target, n, ModelQuantizer.Progress.percentLine(System.err));
        System.err.printf("longlm: wrote %s (%s, %d tensors) in %.1f s%n", output, target, results.size(),
                (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
