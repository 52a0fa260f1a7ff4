package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.generate.Generator;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.SamplingParameters;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.backend.Backend;
import dev.longlm.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt, streaming it to stdout.")
final class GenerateCommand implements Callable<Integer> {
    static final String DEFAULT_PROMPT = "Once upon a time";

    @Mixin
    ModelOptions modelOptions;
    @Mixin
    PositionOptions positions;
    @Mixin
    SamplingOptions sampling;

    static final class PromptSource {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "the prompt (default: \"" + DEFAULT_PROMPT + "\")")
        String prompt;
        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "read the prompt from a file")
        Path file;
    }

    @ArgGroup(multiplicity = "0..1")
    PromptSource promptSource;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "128",
            description = "tokens to generate; -1 = until end of text or a full context (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N",
            description = "context size in tokens (default: the trained context; with a context method, its maximum capped at 16 x the trained context)")
    Integer ctx;

    @Option(names = "--no-echo", description = "do not print the prompt before the generated text")
    boolean noEcho;

    @Option(names = "--json-schema", paramLabel = "FILE", description = "constrain the output to JSON valid for this JSON schema")
    Path jsonSchema;

    @Option(names = "--prompt-cache", paramLabel = "FILE", description = "load the KV cache from FILE when it exists and reuse the"
            + " prefix it shares with the prompt; save the cache (prompt and output) to FILE at the end")
    Path promptCache;

    @Override
    public Integer call() {
        if (maxTokens < -1) {
            throw new InputException("-n must be -1 (unlimited) or >= 0, got " + maxTokens);
        }
        SamplingParameters params = sampling.toParameters();
        String prompt = promptSource == null ? DEFAULT_PROMPT
                : promptSource.file != null ? TextInput.readText(promptSource.file) : promptSource.prompt;
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Model model = Model.load(modelOptions.modelPath());
             Backend backend = modelOptions.openBackend()) {
            Tokenizer tokenizer = model.tokenizer();
            int[] tokens = tokenizer.encode(prompt, tokenizer.addBosByDefault(), false);
            if (tokens.length == 0) {
                throw new InputException("the prompt is empty; pass text with -p or -f");
            }
            int trained = model.config().contextLength();
            int wanted = (int) Math.min(Integer.MAX_VALUE, (long) tokens.length + Math.max(0, maxTokens));
            ContextMethod method = positions.resolve(trained, ctx != null ? Math.max(ctx, tokens.length) : wanted, System.err);
            int capacity = ContextSize.resolve(ctx, method, trained, tokens.length, maxTokens < 0 ? -1 : wanted);
            int ringSlots = promptCache == null ? method.positionScheme().ringSlots() : PromptCache.ringSlots(method, capacity);
            SessionMemory.check(backend, model, method, capacity, ringSlots, false, "a context of " + capacity + " positions", "--ctx");
            PromptCache cache = promptCache == null ? null : new PromptCache(promptCache);
            Session session = cache == null ? Session.create(model, backend, method, capacity)
                    : cache.open(model, backend, method, capacity, System.err);
            int cached = cache == null ? 0 : PromptCache.keepFor(session, tokens, System.err);
            positions.configure(session);
            KvReport.print(session, System.err);
            if (!noEcho) {
                out.print(prompt);
            }
            if (jsonSchema != null) {
                int status = SchemaConstrainedGeneration.run(model, session, tokens, cached, maxTokens, params, jsonSchema, out);
                if (cache != null) {
                    cache.save(model, session);
                }
                return status;
            }
            Progress progress = new Progress("prompt", tokens.length - cached);
            Generator.Result result = Generator.generate(session, tokenizer, tokens, cached, maxTokens,
                    new Sampler(params, model.config().vocabSize()),
                    (token, piece) -> {
                        out.print(piece);
                        return !out.checkError();
                    }, tokens.length - cached > 512 ? progress::update : null);
            out.println();
            if (cache != null) {
                cache.save(model, session);
            }
            System.err.printf("longlm: prompt %d tokens (%d cached, %.1f tok/s), generated %d tokens (%.1f tok/s), stop: %s, seed %d%n",
                    tokens.length, cached, result.promptTokensPerSecond(), result.tokens().length, result.generatedTokensPerSecond(),
                    result.stopReason().name().toLowerCase(), params.seed());
        }
        return 0;
    }
}
