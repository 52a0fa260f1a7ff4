package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 256 requests (-Dlonglm.load.requests=N for more) from 32 concurrent loopback clients against 4
 * slots and serve's default queue of 16 per slot: every one succeeds (none refused with 503),
 * every streamed response is well-formed, and no slot is left held. Latencies and the heap in use
 * after a GC before and after are printed for docs/RELIABILITY.md, never asserted.
 */
class ServerLoadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REQUESTS = Integer.getInteger("longlm.load.requests", 256);
    private static final int CLIENTS = 32;
    private static final int SLOTS = 4;
    private static final int MAX_TOKENS = 6;

    @Test
    void requestsFromThirtyTwoClientsAllSucceed() throws Exception {
        try (TestServer server = new TestServer(SLOTS, 16 * SLOTS, null);
             ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
            long heapBefore = heapAfterGc();
            AtomicInteger next = new AtomicInteger();
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                done.add(clients.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < REQUESTS; ) {
                        boolean stream = i % 2 == 0;
                        boolean chat = i % 4 < 2;
                        String body = chat
                                ? "{\"messages\": [{\"role\": \"user\", \"content\": \"Story number " + i + "\"}], \"max_tokens\": " + MAX_TOKENS
                                + ", \"stream\": " + stream + ", \"temperature\": 0}"
                                : "{\"prompt\": \"Once upon a time " + i + "\", \"max_tokens\": " + MAX_TOKENS + ", \"stream\": " + stream
                                + ", \"temperature\": 0}";
                        long t0 = System.nanoTime();
                        HttpResponse<String> response = server.http.send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                                + (chat ? "/v1/chat/completions" : "/v1/completions"))).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
                                HttpResponse.BodyHandlers.ofString());
                        latencies.add(System.nanoTime() - t0);
                        assertEquals(200, response.statusCode(), response.body());
                        if (stream) {
                            checkEventStream(response.body(), chat);
                        } else {
                            JsonNode json = JSON.readTree(response.body());
                            assertTrue(json.at("/usage/completion_tokens").asInt() <= MAX_TOKENS);
                            assertTrue(json.at("/choices/0/finish_reason").isTextual());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            assertEquals(REQUESTS, latencies.size());
            JsonNode health = JSON.readTree(server.get("/health").body());
            assertEquals(0, health.get("slots_busy").asInt(), "leaked slots");
            assertEquals(0, health.get("requests_waiting").asInt());
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            long heapAfter = heapAfterGc();
            System.out.printf("server load: %d requests, %d clients, %d slots, queue %d, max_tokens %d: 0 failures; p50 %.1f ms, p95 %.1f ms,"
                            + " max %.1f ms; heap after GC %.1f MiB before, %.1f MiB after%n",
                    REQUESTS, CLIENTS, SLOTS, 16 * SLOTS, MAX_TOKENS, sorted.get(REQUESTS / 2) / 1e6, sorted.get(REQUESTS * 95 / 100) / 1e6,
                    sorted.get(REQUESTS - 1) / 1e6, heapBefore / 1048576.0, heapAfter / 1048576.0);
        }
    }

    private static long heapAfterGc() {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** data: lines only, each a JSON chunk until a final [DONE]; exactly one chunk carries a finish reason. */
    private static void checkEventStream(String body, boolean chat) throws Exception {
        String[] events = body.split("\n\n");
        assertEquals("data: [DONE]", events[events.length - 1]);
        int finishes = 0;
        for (int e = 0; e < events.length - 1; e++) {
            assertTrue(events[e].startsWith("data: {"), events[e]);
            JsonNode chunk = JSON.readTree(events[e].substring(6));
            assertEquals(chat ? "chat.completion.chunk" : "text_completion", chunk.get("object").asText());
            for (JsonNode choice : chunk.get("choices")) {
                if (!choice.get("finish_reason").isNull()) {
                    finishes++;
                }
            }
        }
        assertEquals(1, finishes, body);
    }
}
