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
    /** A client must send its whole request (headers and body) within this many seconds. */
    static final int REQUEST_SECONDS = 30;
    /** Open connections at most; beyond that the server stops accepting until some close. */
    static final int MAX_CONNECTIONS = 512;
    /** Requests waiting to be planned (rendered, tokenized) before more are answered 503. */
    static final int PLAN_QUEUE = 256;

    private final HttpServer http;
    private final ExecutorService executor;
    /** Platform threads for CPU-bound planning, so that virtual request threads never starve /health. */
    private final java.util.concurrent.ThreadPoolExecutor planner;
    private final GenerationService service;
    private final BrowserGuard guard;
    private final PrintStream log;
    private final long started = System.currentTimeMillis() / 1000;

    private OpenAiServer(HttpServer http, ExecutorService executor, GenerationService service, PrintStream log) {
        this.http = http;
        this.executor = executor;
        this.service = service;
        this.log = log;
        this.guard = new BrowserGuard(service.options());
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        this.planner = new java.util.concurrent.ThreadPoolExecutor(threads, threads, 0, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(PLAN_QUEUE), Thread.ofPlatform().name("longlm-plan-", 0).daemon().factory());
    }

    /**
     * The JDK server reads its limits once, from system properties, when the first server starts:
     * a deadline for a whole request (slow or stalled clients are disconnected) and a cap on
     * connections. Values the user set with -D are kept.
     */
    private static void configureJdkServer() {
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", String.valueOf(REQUEST_SECONDS));
        System.getProperties().putIfAbsent("jdk.httpserver.maxConnections", String.valueOf(MAX_CONNECTIONS));
    }

    /** Binds and starts serving; port 0 picks a free port ({@link #port()}). */
    public static OpenAiServer start(GenerationService service, PrintStream log) throws IOException {
        ServerOptions options = service.options();
        configureJdkServer();
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
        close(java.time.Duration.ZERO);
    }

    /**
     * Shuts down gracefully: new requests are refused (503) at once, running ones may finish for
     * up to {@code grace}; those still running then end with an error (a final event and
     * {@code [DONE]} for streams) before the connections close.
     */
    public void close(java.time.Duration grace) {
        service.scheduler().stopAdmitting();
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < deadline && (service.scheduler().busySlots() > 0 || service.scheduler().waitingRequests() > 0)) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        service.close(); // fails what is still running; each request's thread writes its error
        http.stop(1);
        planner.shutdownNow();
        executor.shutdownNow();
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
        guard.check(exchange.getRequestHeaders());
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin != null) {
            exchange.getResponseHeaders().set("Access-Control-Allow-Origin", origin);
            exchange.getResponseHeaders().set("Vary", "Origin");
        }
        if (method.equals("OPTIONS")) {
            preflight(exchange, origin);
            return;
        }
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
        String route = path.replaceAll("/+$", "");
        if (route.startsWith("/slots")) {
            slots(exchange, method, route);
            return;
        }
        switch (route) {
            case "/metrics" -> {
                requireMethod(method, "GET");
                byte[] text = utf8(service.metricsText());
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                if (method.equals("HEAD")) {
                    exchange.getResponseHeaders().set("Content-Length", String.valueOf(text.length));
                    exchange.sendResponseHeaders(200, -1);
                    return;
                }
                exchange.sendResponseHeaders(200, text.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(text);
                }
            }
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

    /** {@code GET /slots}; {@code POST /slots/{id}?action=save|restore|erase} with {@code {"filename": …}}. */
    private void slots(HttpExchange exchange, String method, String route) throws IOException, InterruptedException {
        if (route.equals("/slots")) {
            requireMethod(method, "GET");
            var array = JSON.createArrayNode();
            for (Slot.SlotStatus s : service.slots()) {
                array.addObject().put("id", s.id()).put("is_processing", s.busy()).put("n_ctx", s.capacity())
                        .put("n_cached", s.cachedTokens()).put("context_method", s.method()).put("n_prompt_tokens", s.promptTokens());
            }
            sendJson(exchange, 200, array);
            return;
        }
        int id;
        try {
            id = Integer.parseInt(route.substring("/slots/".length()));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new ApiException(404, "invalid_request_error", "not_found", "no endpoint " + method + " " + route);
        }
        requireMethod(method, "POST");
        String query = exchange.getRequestURI().getQuery();
        String action = query != null && query.startsWith("action=") ? query.substring("action=".length()) : "";
        SlotFiles files = service.slotFiles();
        SlotFiles.Result result;
        ObjectNode body = JSON.createObjectNode().put("id_slot", id);
        switch (action) {
            case "save", "restore" -> {
                requireJson(exchange);
                JsonNode request = readJson(exchange);
                JsonNode name = request.get("filename");
                if (name == null || !name.isTextual()) {
                    throw ApiException.badRequest("invalid_type", "'filename' must be a string");
                }
                result = action.equals("save") ? files.save(id, name.asText()) : files.restore(id, name.asText());
                body.put("filename", result.filename());
                body.put(action.equals("save") ? "n_saved" : "n_restored", result.tokens());
                body.put(action.equals("save") ? "n_written" : "n_read", result.bytes());
                body.putObject("timings").put(action + "_ms", result.millis());
            }
            case "erase" -> {
                result = files.erase(id);
                body.put("n_erased", result.tokens());
            }
            default -> throw ApiException.badRequest("invalid_value", "action must be save, restore or erase, as in /slots/" + id
                    + "?action=save");
        }
        sendJson(exchange, 200, body);
    }

    private static void requireJson(HttpExchange exchange) {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.strip().toLowerCase(java.util.Locale.ROOT).matches("application/json\\s*(;.*)?")) {
            // Browsers send text/plain or form types cross-site without asking first: refusing them
            // keeps web pages from driving the server.
            throw new ApiException(415, "invalid_request_error", "unsupported_media_type",
                    "send the request body as JSON with 'Content-Type: application/json'" + (type == null ? "" : ", not " + Printable.quoted(type)));
        }
    }

    private void complete(HttpExchange exchange, boolean chat) throws IOException, InterruptedException {
        long arrived = System.nanoTime();
        String endpoint = chat ? "chat_completions" : "completions";
        try {
            completeRequest(exchange, chat, arrived, endpoint);
        } catch (ApiException e) {
            service.metrics().request(endpoint, outcomeOf(e));
            throw e;
        } catch (RuntimeException | Error e) {
            service.metrics().request(endpoint, "error");
            throw e;
        }
    }

    /**
     * Answers a completion request; its outcome (ok, cancelled: the client went away, or error/timeout
     * once a 200 was out) is counted before the response ends, so a client that has the answer sees it
     * counted. Errors before a status line are thrown (and counted by the caller).
     */
    private void completeRequest(HttpExchange exchange, boolean chat, long arrived, String endpoint)
            throws IOException, InterruptedException {
        requireJson(exchange);
        JsonNode body = readJson(exchange);
        CompletionRequest request = RequestParser.parse(body, chat, service.modelId());
        GenerationService.Plan plan = planOffRequestThread(request);
        ResponseStream response = request.stream()
                ? new StreamingResponse(exchange, request, service.modelId(), plan.toolSyntax())
                : new WholeResponse(exchange, request, service.modelId(), plan.toolSyntax());
        GenerationService.Outcome outcome;
        try {
            outcome = service.run(request, plan, response::begin, response::step, arrived);
        } catch (ApiException e) {
            if (!response.begun()) {
                throw e; // still time for a proper status line
            }
            service.metrics().request(endpoint, outcomeOf(e));
            response.fail(e); // a 200 is already out: end the body with the error
            return;
        }
        service.metrics().request(endpoint, outcome.cancelled() ? "cancelled" : "ok");
        if (!outcome.cancelled()) {
            response.finish(outcome);
        }
    }

    private static String outcomeOf(ApiException e) {
        return e.code().equals("request_timeout") ? "timeout" : "error";
    }

    /** Rendering, tokenizing and compiling a schema are CPU work: done on the planner's platform threads. */
    private GenerationService.Plan planOffRequestThread(CompletionRequest request) throws InterruptedException {
        java.util.concurrent.Future<GenerationService.Plan> plan;
        try {
            plan = planner.submit(() -> service.plan(request));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new ApiException(503, "server_error", "server_busy", PLAN_QUEUE + " requests are waiting to be read; retry shortly");
        }
        try {
            return plan.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            plan.cancel(true);
        }
    }

    private JsonNode readJson(HttpExchange exchange) throws IOException {
        int limit = service.maxBodyBytes();
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(limit + 1);
        }
        if (bytes.length > limit) {
            throw new ApiException(413, "invalid_request_error", "body_too_large", "the request body exceeds " + limit
                    + " bytes, more than a prompt filling this server's context of " + service.options().contextLimit()
                    + " tokens (--ctx) needs; shorten the prompt");
        }
        return parseBody(bytes);
    }

    /**
     * A request body as JSON, decoded as UTF-8 (RFC 8259) — never by Jackson's guess at UTF-16/32
     * from the first bytes, whose failures are plain IOExceptions (found by RequestFuzzTest: such a
     * body got no answer at all, as if the client had gone).
     */
    static JsonNode parseBody(byte[] bytes) {
        String text;
        try {
            text = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw ApiException.badRequest("invalid_json", "the request body is not valid UTF-8");
        }
        try {
            return JSON.readTree(text);
        } catch (JacksonException e) {
            throw ApiException.badRequest("invalid_json", "the request body is not valid JSON: "
                    + Printable.escaped(e.getOriginalMessage(), 200));
        }
    }

    private void checkApiKey(HttpExchange exchange) {
        String key = service.options().apiKey();
        if (key == null) {
            return;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        // Compared in constant time, so that response timing does not reveal how much of a guess was right.
        if (header == null || !java.security.MessageDigest.isEqual(utf8(header), utf8("Bearer " + key))) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"longlm\"");
            throw new ApiException(401, "authentication_error", "invalid_api_key",
                    header == null ? "missing 'Authorization: Bearer KEY' header" : "invalid API key");
        }
    }

    /** CORS preflight: answered for the configured origins only. */
    private void preflight(HttpExchange exchange, String origin) throws IOException {
        if (origin == null || !guard.allowedOrigin(origin)) {
            throw new ApiException(403, "invalid_request_error", "origin_not_allowed",
                    "cross-origin requests are allowed only from the --cors-origin values");
        }
        exchange.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        exchange.getResponseHeaders().set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        exchange.getResponseHeaders().set("Access-Control-Max-Age", "600");
        exchange.sendResponseHeaders(204, -1);
    }

    /** GET endpoints answer HEAD too (headers only). */
    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected) && !(expected.equals("GET") && method.equals("HEAD"))) {
            throw new ApiException(405, "invalid_request_error", "method_not_allowed", "use " + expected);
        }
    }

    static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().set("Content-Length", String.valueOf(bytes.length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static ObjectNode errorBody(String type, String code, String message) {
        ObjectNode error = JSON.createObjectNode();
        error.putObject("error").put("message", message).put("type", type).put("code", code);
        return error;
    }

    private static void sendError(HttpExchange exchange, int status, String type, String code, String message) {
        ObjectNode error = errorBody(type, code, message);
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
