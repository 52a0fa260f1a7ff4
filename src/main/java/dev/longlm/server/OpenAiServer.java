package dev.longlm.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.longlm.InputException;
import dev.longlm.Printable;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The OpenAI-compatible HTTP front end on the JDK's HTTP server: {@code POST /v1/chat/completions},
 * {@code POST /v1/completions}, {@code GET /v1/models}, {@code GET /health}. Every request runs on its
 * own virtual thread; generation capacity is the {@link SlotScheduler}'s business.
 */
public final class OpenAiServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY_BYTES = 16 << 20;

    private final HttpServer http;
    private final ExecutorService executor;
    private final GenerationService service;
    private final PrintStream log;
    private final long started = System.currentTimeMillis() / 1000;

    private OpenAiServer(HttpServer http, ExecutorService executor, GenerationService service, PrintStream log) {
        this.http = http;
        this.executor = executor;
        this.service = service;
        this.log = log;
    }

    /** Binds and starts serving; port 0 picks a free port ({@link #port()}). */
    public static OpenAiServer start(GenerationService service, PrintStream log) throws IOException {
        ServerOptions options = service.options();
        InetSocketAddress address = new InetSocketAddress(options.host(), options.port());
        if (address.isUnresolved()) {
            throw new InputException("--host " + Printable.quoted(options.host()) + " does not resolve to an address; "
                    + "use an IP address such as 127.0.0.1 or a name this machine can resolve");
        }
        HttpServer http;
        try {
            http = HttpServer.create(address, 128);
        } catch (java.net.BindException e) {
            String why = String.valueOf(e.getMessage());
            throw new InputException(why.contains("Cannot assign requested address")
                    ? "--host " + options.host() + " is not an address of this machine; use 127.0.0.1, 0.0.0.0 or one of its addresses"
                    : "port " + options.port() + " on " + options.host() + " is in use (" + why
                    + "); choose another with --port, or --port 0 for a free one");
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        OpenAiServer server = new OpenAiServer(http, executor, service, log);
        http.createContext("/", server::handle);
        http.setExecutor(executor);
        http.start();
        return server;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        service.close();
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            try {
                route(exchange);
            } catch (ApiException e) {
                if (e.status() >= 500 && e.status() != 503) {
                    log.println("longlm serve: " + e.getMessage() + " on " + exchange.getRequestURI());
                }
                sendError(exchange, e.status(), e.type(), e.code(), e.getMessage());
            } catch (InputException e) {
                sendError(exchange, 400, "invalid_request_error", "invalid_value", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // The client went away; nothing to answer.
            } catch (RuntimeException | Error e) {
                log.println("longlm serve: internal error on " + exchange.getRequestURI() + ": " + e);
                sendError(exchange, 500, "server_error", "internal_error", "internal error: " + e.getClass().getSimpleName());
            }
        }
    }

    private void route(HttpExchange exchange) throws IOException, InterruptedException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        if (path.equals("/health")) {
            requireMethod(method, "GET");
            // A server whose decode loop is not running would queue requests forever: say so.
            boolean healthy = service.healthy();
            ObjectNode body = JSON.createObjectNode().put("status", healthy ? "ok" : "unhealthy")
                    .put("slots_busy", service.scheduler().busySlots())
                    .put("slots_total", service.scheduler().parallel())
                    .put("requests_waiting", service.scheduler().waitingRequests());
            if (!healthy) {
                body.put("error", "the decode loop is not running; restart the server");
            }
            sendJson(exchange, healthy ? 200 : 503, body);
            return;
        }
        checkApiKey(exchange);
        switch (path.replaceAll("/+$", "")) {
            case "/v1/models" -> {
                requireMethod(method, "GET");
                ObjectNode model = JSON.createObjectNode().put("id", service.modelId()).put("object", "model")
                        .put("created", started).put("owned_by", "longlm4j");
                ObjectNode body = JSON.createObjectNode().put("object", "list");
                body.putArray("data").add(model);
                sendJson(exchange, 200, body);
            }
            case "/v1/chat/completions" -> {
                requireMethod(method, "POST");
                complete(exchange, true);
            }
            case "/v1/completions" -> {
                requireMethod(method, "POST");
                complete(exchange, false);
            }
            default -> throw new ApiException(404, "invalid_request_error", "not_found", "no endpoint " + method + " " + path);
        }
    }

    private void complete(HttpExchange exchange, boolean chat) throws IOException, InterruptedException {
        JsonNode body = readJson(exchange);
        CompletionRequest request = RequestParser.parse(body, chat, service.modelId());
        GenerationService.Plan plan = service.plan(request);
        ResponseStream response = request.stream()
                ? new StreamingResponse(exchange, request, service.modelId())
                : new WholeResponse(exchange, request, service.modelId());
        GenerationService.Outcome outcome = service.run(request, plan, response::begin, response::step);
        if (!outcome.cancelled()) {
            response.finish(outcome);
        }
    }

    private JsonNode readJson(HttpExchange exchange) throws IOException {
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new ApiException(413, "invalid_request_error", "body_too_large", "the request body exceeds " + (MAX_BODY_BYTES >> 20) + " MiB");
        }
        try {
            return JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw ApiException.badRequest("invalid_json", "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private void checkApiKey(HttpExchange exchange) {
        String key = service.options().apiKey();
        if (key == null) {
            return;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.equals("Bearer " + key)) {
            throw new ApiException(401, "authentication_error", "invalid_api_key",
                    header == null ? "missing 'Authorization: Bearer KEY' header" : "invalid API key");
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiException(405, "invalid_request_error", "method_not_allowed", "use " + expected);
        }
    }

    static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sendError(HttpExchange exchange, int status, String type, String code, String message) {
        ObjectNode error = JSON.createObjectNode();
        error.putObject("error").put("message", message).put("type", type).put("code", code);
        if (status == 503) {
            exchange.getResponseHeaders().set("Retry-After", "1");
        }
        try {
            if (exchange.getResponseCode() == -1) {
                sendJson(exchange, status, error);
            }
        } catch (IOException e) {
            // client gone
        }
    }

    static String body(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
