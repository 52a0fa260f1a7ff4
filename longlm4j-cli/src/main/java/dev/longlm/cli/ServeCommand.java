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
import dev.longlm.backend.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models, /health, /metrics, /slots).")
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
    @Option(names = "--queue", paramLabel = "N", description = "requests that may wait for a slot before the server answers 503 (default 16 x --parallel)")
    Integer queue;
    @Option(names = {"-c", "--ctx"}, paramLabel = "N",
            description = "most positions (prompt + generated) per request (default: with a context method, its maximum capped at 16 x the trained context; else 4 x the trained context, reached by automatic Self-Extend)")
    Integer ctx;
    @Option(names = "--allowed-host", paramLabel = "NAME", description = "also accept requests whose Host header names NAME (repeatable; default: the --host address, and localhost on loopback)")
    java.util.List<String> allowedHosts = new java.util.ArrayList<>();
    @Option(names = "--cors-origin", paramLabel = "ORIGIN", description = "let web pages from ORIGIN (e.g. http://localhost:3000) call the API (repeatable; default: none)")
    java.util.List<String> corsOrigins = new java.util.ArrayList<>();
    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", defaultValue = "10", description = "on SIGTERM, let running requests finish for up to this long (default ${DEFAULT-VALUE})")
    int shutdownGrace;
    @Option(names = "--api-key", paramLabel = "KEY", description = "require 'Authorization: Bearer KEY'")
    String apiKey;
    @Option(names = "--chat-template", paramLabel = "FILE|NAME", description = "Jinja chat template file or built-in name (chatml, llama3, llama2, phi3, gemma, plain)")
    String chatTemplate;
    @Option(names = "--no-cache-prompt", description = "do not keep slots' caches for later requests sharing a prefix (saves the"
            + " second copy of the keys that Self-Extend's reuse needs)")
    boolean noCachePrompt;
    @Option(names = "--slot-save-path", paramLabel = "FOLDER", description = "folder for POST /slots/{id}?action=save|restore files (default: the actions are off)")
    java.nio.file.Path slotSavePath;
    @Option(names = {"-to", "--timeout"}, paramLabel = "SECONDS", defaultValue = "600", description = "end requests still running this long after they arrived; 0 = never (default ${DEFAULT-VALUE})")
    int timeout;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (parallel < 1 || parallel > 256) {
            throw new InputException("--parallel must be between 1 and 256, got " + parallel);
        }
        // 16 per slot: measured, 32 clients on 4 slots are all served (docs/RELIABILITY.md); a waiting request costs only its tokens.
        int queueCapacity = queue != null ? queue : 16 * parallel;
        if (queueCapacity < 0) {
            throw new InputException("--queue must be >= 0, got " + queueCapacity);
        }
        if (port < 0 || port > 65535) {
            throw new InputException("--port must be between 0 and 65535, got " + port);
        }
        if (timeout < 0) {
            throw new InputException("--timeout must be >= 0 seconds, got " + timeout);
        }
        if (slotSavePath != null && !java.nio.file.Files.isDirectory(slotSavePath)) {
            throw new InputException("--slot-save-path " + slotSavePath + " is not a folder; create it first");
        }
        if (shutdownGrace < 0) {
            throw new InputException("--shutdown-grace must be >= 0 seconds, got " + shutdownGrace);
        }
        try (Model model = Model.load(modelOptions.modelPath());
             Backend backend = modelOptions.openBackend()) {
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
            ServerOptions options = new ServerOptions(host, port, parallel, queueCapacity, limit, scheme, apiKey, modelId,
                    allowedHosts, corsOrigins, !noCachePrompt, slotSavePath, timeout);
            GenerationService service = new GenerationService(model, template, backend, options,
                    new JsonSchemaConstraints(model.tokenizer()), System.err);
            // Each slot keeps a KV store of up to the full limit (and its ring) once it has served a request.
            MemoryEstimate slots = service.slotMemory().times(parallel);
            if (slots.requiredBytes() > service.sessionBudget()) {
                var budget = backend.memoryBudget();
                System.err.println("longlm serve: warning: " + parallel + " slots of " + limit + " positions need " + slots.describe()
                        + " but " + budget.what() + " has " + service.sessionBudget() / (1 << 20) + " MiB free; requests will be"
                        + " refused once the slots' stores fill it (lower --ctx or --parallel, or " + budget.remedy() + ")");
            }
            OpenAiServer server;
            try {
                server = OpenAiServer.start(service, System.err);
            } catch (RuntimeException | IOException e) {
                service.close();
                throw e;
            }
            System.err.printf("longlm serve: %s on http://%s:%d/v1 (%d slots, queue %d, up to %d positions per request, %s)%n",
                    modelId, host, server.port(), parallel, queueCapacity, limit,
                    scheme == null ? "self-extend auto beyond " + trained : scheme.describe());
            if (apiKey == null && !java.net.InetAddress.getByName(host).isLoopbackAddress()) {
                System.err.println("longlm serve: warning: listening on " + host + ", reachable from other machines, without --api-key:"
                        + " anyone who can reach it can use it");
            }
            // SIGTERM/Ctrl-C: stop accepting, let running requests finish (up to the grace period), end the
            // rest with an error event, then exit 0. The JVM halts once its hooks return, so the hook itself
            // waits for the shutdown and ends the process with status 0 (a signal would give 143).
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                System.err.println("longlm serve: shutting down (up to " + shutdownGrace + " s for running requests)");
                server.close(java.time.Duration.ofSeconds(shutdownGrace));
                stopped.countDown();
                Runtime.getRuntime().halt(0);
            }));
            stopped.await();
        }
        return 0;
    }
}
