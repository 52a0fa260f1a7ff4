package dev.longlm.cli;

import dev.longlm.generate.SamplingParameters;
import picocli.CommandLine.Option;

/** Sampling flags, named as in llama.cpp, with its defaults. */
final class SamplingOptions {
    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.8", description = "temperature; 0 = greedy (default ${DEFAULT-VALUE})")
    float temperature;
    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "top-k filter, 0 = off (default ${DEFAULT-VALUE})")
    int topK;
    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "top-p (nucleus) filter, 1 = off (default ${DEFAULT-VALUE})")
    float topP;
    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05", description = "min-p filter, 0 = off (default ${DEFAULT-VALUE})")
    float minP;
    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0", description = "repetition penalty, 1 = off (default ${DEFAULT-VALUE})")
    float repeatPenalty;
    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64", description = "tokens the penalty looks back over (default ${DEFAULT-VALUE})")
    int repeatLastN;
    @Option(names = {"-s", "--seed"}, paramLabel = "SEED", defaultValue = "-1", description = "random seed; -1 = a new one each run (default ${DEFAULT-VALUE})")
    long seed;

    SamplingParameters toParameters() {
        long s = seed == -1 ? System.nanoTime() : seed;
        return new SamplingParameters(temperature, topK, topP, minP, repeatPenalty, repeatLastN, s);
    }
}
