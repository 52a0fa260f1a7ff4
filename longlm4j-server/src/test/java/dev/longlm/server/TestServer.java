package dev.longlm.server;

import dev.longlm.attention.ContextMethod;
import dev.longlm.chat.BuiltinTemplates;
import dev.longlm.model.Model;
import dev.longlm.structured.JsonSchemaConstraints;
import dev.longlm.backend.cpu.CpuBackend;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

/** The real server on the bundled model, on a free loopback port. */
final class TestServer implements AutoCloseable {
    static final Path MODEL = Path.of("models/pd-llama-13m-ctx256-f16.gguf");
    static final String MODEL_ID = "pd-llama-13m-ctx256-f16";

    final Model model;
    final CpuBackend backend;
    final GenerationService service;
    final OpenAiServer server;
    final HttpClient http = HttpClient.newHttpClient();

    TestServer(int parallel, int queue, String apiKey) throws IOException {
        this(parallel, queue, apiKey, 0, null);
    }

    /** @param contextLimit positions per request (0: 4 × the trained context); method: the server's fixed method or null */
    TestServer(int parallel, int queue, String apiKey, int contextLimit, ContextMethod method) throws IOException {
        this(parallel, queue, apiKey, contextLimit, method, java.util.List.of());
    }

    TestServer(int parallel, int queue, String apiKey, int contextLimit, ContextMethod method, java.util.List<String> corsOrigins)
            throws IOException {
        this(parallel, queue, apiKey, contextLimit, method, corsOrigins, o -> o);
    }

    /** @param adjust changes the options (caching, slot files, timeout) */
    TestServer(int parallel, int queue, String apiKey, int contextLimit, ContextMethod method, java.util.List<String> corsOrigins,
               java.util.function.UnaryOperator<ServerOptions> adjust) throws IOException {
        this(parallel, queue, apiKey, contextLimit, method, corsOrigins, adjust, new PrintStream(PrintStream.nullOutputStream()));
    }

    /** @param log where the service reports (progress of long prompts, slot files) */
    TestServer(int parallel, int queue, String apiKey, int contextLimit, ContextMethod method, java.util.List<String> corsOrigins,
               java.util.function.UnaryOperator<ServerOptions> adjust, PrintStream log) throws IOException {
        model = Model.load(MODEL);
        backend = new CpuBackend(2);
        int limit = contextLimit > 0 ? contextLimit : 4 * model.config().contextLength();
        ServerOptions options = adjust.apply(new ServerOptions("127.0.0.1", 0, parallel, queue, limit, method, apiKey, MODEL_ID,
                java.util.List.of(), corsOrigins));
        service = new GenerationService(model, BuiltinTemplates.named("plain", "<s>", "</s>"), backend, options,
                new JsonSchemaConstraints(model.tokenizer()), log);
        server = OpenAiServer.start(service, new PrintStream(PrintStream.nullOutputStream()));
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl() + path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        server.close();
        backend.close();
        model.close();
    }
}
