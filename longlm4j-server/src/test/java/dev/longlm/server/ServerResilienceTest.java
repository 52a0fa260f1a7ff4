package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.attention.ContextMethod;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, defects 1 and 2: a request too large for memory is refused before its cache is
 * allocated; anything a job throws in the decode loop, an OutOfMemoryError included, fails that
 * job alone and the server keeps serving; /health says when the loop is not running.
 */
class ServerResilienceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Requests that would hang on a dead loop end after this instead of blocking the suite. */
    private static HttpResponse<String> post(TestServer server, String path, String body) throws Exception {
        return server.http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aContextTooLargeForTheHeapIsRefusedWithBothNumbers() throws Exception {
        // The repro: serve --ctx 3000000 --rope-method dynamic-ntk, max_tokens 2999000. Its KV
        // cache is 6 layers x 3,000,000 positions x 64 x 2 x 4 bytes = 8789 MiB, over the tests' 6 GiB heap.
        try (TestServer server = new TestServer(1, 0, null, 3_000_000, ContextMethod.dynamicNtk(1.0))) {
            HttpResponse<String> response = post(server, "/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 2999000}");
            assertEquals(400, response.statusCode(), response.body());
            JsonNode error = JSON.readTree(response.body()).get("error");
            assertEquals("context_length_exceeded", error.get("code").asText());
            String message = error.get("message").asText();
            long positions = 2_999_000 + JSON.readTree(post(server, "/v1/completions",
                    "{\"prompt\": \"hi\", \"max_tokens\": 1}").body()).at("/usage/prompt_tokens").asLong();
            double expectedMib = 6.0 * positions * 64 * 2 * 4 / (1 << 20);
            assertTrue(message.contains(String.format(java.util.Locale.ROOT, "KV cache %.1f MiB", expectedMib)), message);
            assertTrue(message.contains("heap has"), message);
            assertTrue(message.contains("max_tokens") && message.contains("-Xmx"), message);
            assertEquals(200, post(server, "/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 3}").statusCode());
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES) // a dead loop would block run() forever
    void anOutOfMemoryErrorInTheDecodeLoopFailsOnlyItsJob() throws Exception {
        try (TestServer server = new TestServer(1, 0, null)) {
            GenerationService service = server.service;
            CompletionRequest request = RequestParser.parse(JSON.readTree("{\"prompt\": \"hi\", \"max_tokens\": 4}"), false,
                    TestServer.MODEL_ID);
            GenerationService.Plan ok = service.plan(request);
            // Past plan()'s check, as when several admitted requests together outgrow the heap: a
            // cache of 30M positions is 6 arrays of 7.2 GiB, and the first allocation throws.
            GenerationService.Plan huge = new GenerationService.Plan(ok.promptTokens(), ContextMethod.none(), 30_000_000,
                    List.of(), null);
            ApiException e = assertThrows(ApiException.class, () -> service.run(request, huge, null, step -> true));
            assertEquals(503, e.status());
            assertEquals("out_of_memory", e.code());
            assertTrue(e.getMessage().contains("30000000 positions"), e.getMessage());

            assertTrue(service.healthy());
            assertEquals(0, service.scheduler().busySlots(), "the failed job's slot is free");
            HttpResponse<String> after = post(server, "/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 5, \"temperature\": 0}");
            assertEquals(200, after.statusCode(), after.body());
            assertEquals(5, JSON.readTree(after.body()).at("/usage/completion_tokens").asInt());
            assertEquals(200, server.get("/health").statusCode());
        }
    }

    @Test
    void healthReportsADecodeLoopThatIsNotRunning() throws Exception {
        try (TestServer server = new TestServer(1, 0, null)) {
            assertEquals("ok", JSON.readTree(server.get("/health").body()).get("status").asText());
            server.service.close(); // stops the loop, leaves the HTTP front end up
            HttpResponse<String> health = server.get("/health");
            assertEquals(503, health.statusCode(), health.body());
            assertEquals("unhealthy", JSON.readTree(health.body()).get("status").asText());
        }
    }
}
