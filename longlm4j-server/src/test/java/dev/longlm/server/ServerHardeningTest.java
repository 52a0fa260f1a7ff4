package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, defects 3, 13 and 14: what a browser page or an oversized request can make the server
 * do. Requests are written on raw sockets where the JDK client would not send them (a foreign
 * Host, a missing Content-Type).
 */
class ServerHardeningTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ORIGIN = "http://localhost:3000";
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer(1, 4, "sekret", 0, null, List.of(ORIGIN));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** One HTTP/1.1 request on a fresh connection; the whole response as text. */
    private static String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.server.port())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String post(String host, String headers, String body) throws IOException {
        return raw("POST /v1/completions HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer sekret\r\nConnection: close\r\n"
                + headers + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body);
    }

    private static void assertJsonError(String response, int status, String code) throws IOException {
        assertTrue(response.startsWith("HTTP/1.1 " + status + " "), response);
        assertTrue(response.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json"), response);
        JsonNode error = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).get("error");
        assertEquals(code, error.get("code").asText(), response);
    }

    @Test
    void crossSiteRequestsAreRefused() throws IOException {
        String body = "{\"prompt\": \"hi\", \"max_tokens\": 1}";
        // A form or fetch() without preflight can only send text/plain, form or multipart bodies.
        assertJsonError(post("127.0.0.1", "Content-Type: text/plain\r\n", body), 415, "unsupported_media_type");
        assertJsonError(post("127.0.0.1", "", body), 415, "unsupported_media_type");
        // DNS rebinding: the attacker's name resolved to 127.0.0.1.
        assertJsonError(post("attacker.example:8080", "Content-Type: application/json\r\n", body), 403, "host_not_allowed");
        assertJsonError(post("127.0.0.1", "Content-Type: application/json\r\nOrigin: http://evil.example\r\n", body), 403,
                "origin_not_allowed");
        String ok = post("localhost:" + server.server.port(), "Content-Type: application/json; charset=utf-8\r\nOrigin: " + ORIGIN + "\r\n", body);
        assertTrue(ok.startsWith("HTTP/1.1 200 "), ok);
        assertTrue(ok.contains("Access-control-allow-origin: " + ORIGIN) || ok.contains("Access-Control-Allow-Origin: " + ORIGIN), ok);
    }

    @Test
    void corsPreflightOnlyForConfiguredOrigins() throws IOException {
        String allowed = raw("OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + ORIGIN
                + "\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
        assertTrue(allowed.startsWith("HTTP/1.1 204 "), allowed);
        assertTrue(allowed.toLowerCase().contains("access-control-allow-methods: get, post, options"), allowed);
        String refused = raw("OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example"
                + "\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
        assertJsonError(refused, 403, "origin_not_allowed");
    }

    /** Defect 11: the JDK server's request deadline and connection cap are set (ServeProcessTest sees a deadline act). */
    @Test
    void slowClientDeadlineAndConnectionCapAreConfigured() {
        assertEquals(String.valueOf(OpenAiServer.REQUEST_SECONDS), System.getProperty("sun.net.httpserver.maxReqTime"));
        assertEquals(String.valueOf(OpenAiServer.MAX_CONNECTIONS), System.getProperty("jdk.httpserver.maxConnections"));
    }

    @Test
    void unauthorizedAnswersWwwAuthenticateAndHeadWorks() throws Exception {
        HttpResponse<String> unauthorized = server.post("/v1/completions", "{\"prompt\": \"hi\"}");
        assertEquals(401, unauthorized.statusCode());
        assertEquals("Bearer realm=\"longlm\"", unauthorized.headers().firstValue("WWW-Authenticate").orElseThrow());
        HttpResponse<String> head = server.http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/health"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
    }

    /** Defect 3: the body is bounded by what the context can hold, and text that cannot fit is refused before tokenizing. */
    @Test
    void oversizedPromptsAreRefusedBeforeTokenizing() throws Exception {
        int limit = server.service.options().contextLimit();
        int maxBody = server.service.maxBodyBytes();
        int longestToken = (maxBody - GenerationService.BODY_OVERHEAD_BYTES) / (6 * limit);
        assertTrue(maxBody < (16 << 20), "bounded by the context, below the JDK's 16 MiB: " + maxBody);
        String tooBig = "{\"prompt\": \"" + "a".repeat(maxBody) + "\"}";
        String response = post("127.0.0.1", "Content-Type: application/json\r\n", tooBig);
        assertJsonError(response, 413, "body_too_large");
        String cannotFit = "{\"prompt\": \"" + "ab ".repeat(limit * longestToken / 3 + 100) + "\", \"max_tokens\": 1}";
        assertTrue(cannotFit.length() < maxBody);
        assertJsonError(post("127.0.0.1", "Content-Type: application/json\r\n", cannotFit), 400, "context_length_exceeded");
        assertTrue(post("127.0.0.1", "Content-Type: application/json\r\n", "{\"prompt\": \"hi\", \"max_tokens\": 1}").startsWith("HTTP/1.1 200 "));
    }

    /**
     * Found by RequestFuzzTest: Jackson guessed UTF-32 from these bytes and failed with a plain
     * IOException, which the server took for a vanished client and answered nothing.
     */
    @Test
    void aBodyThatIsNotUtf8GetsA400() throws IOException {
        byte[] body = {0x5b, 0, 0, 0, 0, (byte) 0x92};
        try (Socket socket = new Socket("127.0.0.1", server.server.port())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sekret\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            assertJsonError(new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8), 400, "invalid_json");
        }
    }

    /** Defect 12: a stream cut by shutdown ends with an error event and [DONE]; new requests are refused. */
    @Test
    void shutdownEndsRunningStreamsWithAnErrorEvent() throws Exception {
        try (TestServer own = new TestServer(1, 0, null)) {
            HttpResponse<InputStream> streaming = own.http.send(HttpRequest.newBuilder(URI.create(own.baseUrl() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once upon a time\", \"max_tokens\": 900, \"stream\": true}"))
                    .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader reader = new BufferedReader(new InputStreamReader(streaming.body(), StandardCharsets.UTF_8));
            assertTrue(reader.readLine().startsWith("data: {"));
            own.server.close(java.time.Duration.ZERO);
            List<String> events = reader.lines().filter(l -> !l.isEmpty()).toList();
            assertEquals("data: [DONE]", events.getLast(), events.toString());
            JsonNode error = JSON.readTree(events.get(events.size() - 2).substring(6)).get("error");
            assertEquals("shutting_down", error.get("code").asText(), events.toString());
        }
    }
}
