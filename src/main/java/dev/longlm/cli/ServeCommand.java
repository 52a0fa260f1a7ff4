package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.chat.ChatTemplate;
import dev.longlm.chat.ChatTemplates;
import dev.longlm.model.MemoryEstimate;
import dev.longlm.model.Model;
import dev.longlm.server.GenerationService;
import dev.longlm.server.OpenAiServer;
import dev.longlm.server.ServerOptions;
import dev.longlm.structured.JsonSchemaConstraints;
import dev.longlm.backend.cpu.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models, /health).")
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    PositionOptions positions;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1", description = "address to listen on (default ${DEFAULT-VALUE})")
    String host;
    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "port; 0 picks a free one (default ${DEFAULT-VALUE})")
    int port;
    @Option(names = {"-np", "--parallel"}, paramLabel = "N", defaultValue = "4", description = "requests decoded together, one KV cache each (default ${DEFAULT-VALUE})")
    int parallel;
    @Option(names = "--queue", paramLabel = "N", description = "requests that may wait for a slot before the server answers 503 (default 4 x --parallel)")
    Integer queue;
    @Option(names = {"-c", "--ctx"}, paramLabel = "N",
            description = "most positions (prompt + generated) per request (default: the Self-Extend maximum with --group-size, else 4 x the trained context, reached by automatic Self-Extend)")
    Integer ctx;
    @Option(names = "--api-key", paramLabel = "KEY", description = "require 'Authorization: Bearer KEY'")
    String apiKey;
    @Option(names = "--chat-template", paramLabel = "FILE|NAME", description = "Jinja chat template file or built-in name (chatml, llama3, llama2, phi3, gemma, plain)")
    String chatTemplate;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (parallel < 1 || parallel > 256) {
            throw new InputException("--parallel must be between 1 and 256, got " + parallel);
        }
        int queueCapacity = queue != null ? queue : 4 * parallel;
        if (queueCapacity < 0) {
            throw new InputException("--queue must be >= 0, got " + queueCapacity);
        }
        if (port < 0 || port > 65535) {
            throw new InputException("--port must be between 0 and 65535, got " + port);
        }
        try (Model model = Model.load(modelOptions.modelPath());
             Parallel pool = new Parallel(modelOptions.threadCount())) {
            int trained = model.config().contextLength();
            // Flags fix one scheme for every request; without them each request gets plain attention
            // or, when it outgrows the trained context, SelfExtend.auto for its length.
            boolean flagged = positions.groupSize != null || positions.selfExtend != null || positions.ropeMethod != null;
            ContextMethod scheme = flagged && !"auto".equals(positions.selfExtend)
                    ? positions.resolve(trained, ctx != null ? ctx : trained, System.err) : null;
            int limit = ctx != null ? ctx : scheme != null ? (int) Math.min(scheme.maxLength(trained), 16L * trained) : 4 * trained;
            if (limit < 2) {
                throw new InputException("--ctx must be at least 2, got " + limit);
            }
            ChatTemplate template = ChatTemplates.resolve(model.file().metadata(), model.tokenizer(), chatTemplate, System.err);
            String modelId = modelOptions.modelPath().getFileName().toString().replaceFirst("\\.gguf$", "");
            ServerOptions options = new ServerOptions(host, port, parallel, queueCapacity, limit, scheme, apiKey, modelId);
            GenerationService service = new GenerationService(model, template, pool, options,
                    new JsonSchemaConstraints(model.tokenizer()));
            MemoryEstimate largest = service.sessionMemory(scheme != null ? scheme : ContextMethod.none(), limit);
            if (largest.requiredBytes() > service.sessionBudget()) {
                System.err.println("longlm serve: warning: a request using all " + limit + " positions needs " + largest.describe()
                        + " but the heap has " + service.sessionBudget() / (1 << 20) + " MiB free; such requests will be refused"
                        + " (lower --ctx or " + SessionMemory.MORE_HEAP + ")");
            }
            try (OpenAiServer server = OpenAiServer.start(service, System.err)) {
                System.err.printf("longlm serve: %s on http://%s:%d/v1 (%d slots, queue %d, up to %d positions per request, %s)%n",
                        modelId, host, server.port(), parallel, queueCapacity, limit,
                        scheme == null ? "self-extend auto beyond " + trained : scheme.describe());
                CountDownLatch forever = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
                forever.await();
            }
        }
        return 0;
    }
}
