package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.hawkular.agent.prometheus.text.TextPrometheusMetricsProcessor;
import org.hawkular.agent.prometheus.types.Counter;
import org.hawkular.agent.prometheus.types.Gauge;
import org.hawkular.agent.prometheus.types.Metric;
import org.hawkular.agent.prometheus.types.MetricFamily;
import org.hawkular.agent.prometheus.types.Summary;
import org.hawkular.agent.prometheus.walkers.CollectorPrometheusMetricsWalker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Prompt caching on the bundled model (trained on 256 tokens): two requests sharing a 900-token prefix,
 * far past the trained context so automatic Self-Extend (G16 W64) runs them; the second reuses the
 * prefix and gives the log-probabilities a request without the cache gives. Slots saved to a file,
 * the server restarted, the file restored: the continuation is the one the first server gives. And
 * {@code /metrics}, read by Hawkular's Prometheus text-format parser, counts what happened.
 */
class ServerPromptCacheTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_TOKENS = 8;

    /** About 930 tokens of story text: the shared prefix. */
    static String prefix() {
        StringBuilder text = new StringBuilder();
        String[] names = {"Tom", "Lily", "Sam", "Ann", "Ben", "Mia"};
        String[] things = {"a red ball", "a big tree", "a blue hat", "a little dog", "a toy car", "a green box"};
        for (int i = 0; i < 82; i++) {
            text.append(names[i % names.length]).append(" saw ").append(things[(i * 5) % things.length]).append(" on day ")
                    .append(i).append(". ");
        }
        return text.toString();
    }

    private static JsonNode complete(TestServer server, String prompt, boolean cachePrompt) throws Exception {
        HttpResponse<String> response = server.post("/v1/completions", JSON.writeValueAsString(Map.of("prompt", prompt,
                "max_tokens", MAX_TOKENS, "temperature", 0, "logprobs", 1, "cache_prompt", cachePrompt)));
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static int cached(JsonNode response) {
        return response.at("/usage/prompt_tokens_details/cached_tokens").asInt(-1);
    }

    private static void assertSameLogprobs(JsonNode expected, JsonNode actual) {
        assertEquals(expected.at("/choices/0/text").asText(), actual.at("/choices/0/text").asText());
        JsonNode e = expected.at("/choices/0/logprobs/token_logprobs");
        JsonNode a = actual.at("/choices/0/logprobs/token_logprobs");
        assertEquals(MAX_TOKENS, e.size());
        for (int i = 0; i < e.size(); i++) {
            assertEquals(e.get(i).asDouble(), a.get(i).asDouble(), 1e-5, "token " + i);
        }
    }

    private static Map<String, MetricFamily> metrics(TestServer server) throws Exception {
        HttpResponse<String> response = server.get("/metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        CollectorPrometheusMetricsWalker walker = new CollectorPrometheusMetricsWalker();
        new TextPrometheusMetricsProcessor(new ByteArrayInputStream(response.body().getBytes(StandardCharsets.UTF_8)), walker).walk();
        return walker.getAllMetricFamilies().stream().collect(Collectors.toMap(MetricFamily::getName, f -> f));
    }

    private static double value(Map<String, MetricFamily> families, String name, Map<String, String> labels) {
        MetricFamily family = families.get(name);
        assertTrue(family != null, name + " is exposed");
        for (Metric m : family.getMetrics()) {
            if (m.getLabels().equals(labels)) {
                return m instanceof Counter c ? c.getValue() : ((Gauge) m).getValue();
            }
        }
        throw new AssertionError(name + labels + " not among " + family.getMetrics().size() + " samples");
    }

    private static double value(Map<String, MetricFamily> families, String name) {
        return value(families, name, Map.of());
    }

    @Test
    void aSharedPrefixUnderSelfExtendIsReusedExactly() throws Exception {
        String prefix = prefix();
        try (TestServer server = new TestServer(2, 4, null)) {
            int prefixTokens = server.model.tokenizer().encode(prefix, true, false).length;
            assertTrue(prefixTokens >= 900 && prefixTokens < 960, prefixTokens + " prefix tokens");
            JsonNode first = complete(server, prefix + "Once upon a time there was a girl", true);
            assertEquals(0, cached(first));
            assertEquals("self-extend G16 W64", server.service.slots().stream().filter(s -> s.cachedTokens() > 0)
                    .findFirst().orElseThrow().method(), "automatic Self-Extend for ~950 positions on a 256-token model");

            Map<String, MetricFamily> before = metrics(server);
            String second = prefix + "The dog ran to the park and";
            JsonNode reused = complete(server, second, true);
            int promptTokens = reused.at("/usage/prompt_tokens").asInt();
            assertTrue(cached(reused) >= 900, cached(reused) + " cached tokens");
            Map<String, MetricFamily> after = metrics(server);
            assertEquals(promptTokens - cached(reused), value(after, "longlm_prefill_tokens_total")
                    - value(before, "longlm_prefill_tokens_total"), "only the rest of the prompt is computed");

            JsonNode fresh = complete(server, second, false);
            assertEquals(0, cached(fresh));
            assertSameLogprobs(fresh, reused);

            assertEquals(3, value(after, "longlm_requests_total", Map.of("endpoint", "completions", "outcome", "ok")) + 1);
            Map<String, MetricFamily> last = metrics(server);
            assertEquals(3, value(last, "longlm_requests_total", Map.of("endpoint", "completions", "outcome", "ok")));
            assertEquals(1, value(last, "longlm_prompt_cache_requests_total", Map.of("result", "hit")));
            assertEquals(2, value(last, "longlm_prompt_cache_requests_total", Map.of("result", "miss")));
            assertEquals(cached(reused), value(last, "longlm_prompt_tokens_cached_total"));
            assertEquals(3L * MAX_TOKENS, value(last, "longlm_generated_tokens_total"));
            assertEquals(2, value(last, "longlm_slots_total"));
            assertEquals(0, value(last, "longlm_slots_busy"));
            assertEquals(0, value(last, "longlm_requests_waiting"));
            assertTrue(value(last, "longlm_prefill_tokens_per_second") > 0 && value(last, "longlm_decode_tokens_per_second") > 0);
            Summary ttft = (Summary) last.get("longlm_time_to_first_token_seconds").getMetrics().getFirst();
            assertEquals(3, ttft.getSampleCount());

            HttpResponse<String> slots = server.get("/slots");
            JsonNode array = JSON.readTree(slots.body());
            assertEquals(2, array.size());
            assertTrue(array.findValues("n_cached").stream().anyMatch(n -> n.asInt() >= promptTokens - 1), slots.body());
        }
    }

    /**
     * With caching a Self-Extend session's ring keeps a key of every position of its slot's store, so a
     * store left larger by a plain request is not lent to a smaller Self-Extend one (whose memory check
     * counted its own size): the slot gets a store of the request's size.
     */
    @Test
    void aSelfExtendRequestClaimsTheRingOfItsOwnSize() throws Exception {
        try (TestServer server = new TestServer(1, 4, null)) {
            HttpResponse<String> plain = server.post("/v1/completions", JSON.writeValueAsString(Map.of("prompt", "Once upon a time",
                    "max_tokens", 200, "temperature", 0)));
            assertEquals(200, plain.statusCode(), plain.body());
            int plainCapacity = JSON.readTree(plain.body()).at("/usage/prompt_tokens").asInt() + 200;
            assertEquals(plainCapacity, server.service.slots().getFirst().capacity());
            HttpResponse<String> grouped = server.post("/v1/completions", JSON.writeValueAsString(Map.of("prompt", "Once upon a time",
                    "max_tokens", 40, "temperature", 0, "self_extend", Map.of("group_size", 4, "window", 32))));
            assertEquals(200, grouped.statusCode(), grouped.body());
            int groupedCapacity = JSON.readTree(grouped.body()).at("/usage/prompt_tokens").asInt() + 40;
            assertEquals(groupedCapacity, server.service.slots().getFirst().capacity(), "a store of the request's size");
        }
    }

    /** What the first server answers, and the slot file it saved before. */
    private record Reference(JsonNode answer, Path file) {
    }

    private static UnaryOperator<ServerOptions> saveTo(Path folder) {
        return o -> o.withCaching(true, folder);
    }

    private static HttpResponse<String> slotAction(TestServer server, int id, String action, String file) throws Exception {
        return server.post("/slots/" + id + "?action=" + action, file == null ? "{}" : JSON.writeValueAsString(Map.of("filename", file)));
    }

    @Test
    void aSavedSlotRestoredAfterARestartContinuesAsTheFirstServer(@TempDir Path folder) throws Exception {
        String prefix = prefix();
        String next = prefix + "The dog ran to the park and";
        Reference reference;
        try (TestServer server = new TestServer(1, 4, null, 0, null, List.of(), saveTo(folder))) {
            complete(server, prefix + "Once upon a time there was a girl", true);
            HttpResponse<String> saved = slotAction(server, 0, "save", "story.bin");
            assertEquals(200, saved.statusCode(), saved.body());
            JsonNode body = JSON.readTree(saved.body());
            assertTrue(body.get("n_saved").asInt() > 900);
            assertEquals(Files.size(folder.resolve("story.bin")), body.get("n_written").asLong());
            // Never stopping: the next request on this server.
            reference = new Reference(complete(server, next, true), folder.resolve("story.bin"));
            assertTrue(cached(reference.answer()) >= 900);
        }
        try (TestServer server = new TestServer(1, 4, null, 0, null, List.of(), saveTo(folder))) {
            HttpResponse<String> restored = slotAction(server, 0, "restore", "story.bin");
            assertEquals(200, restored.statusCode(), restored.body());
            assertTrue(JSON.readTree(restored.body()).get("n_restored").asInt() > 900);
            assertTrue(server.get("/slots").body().contains("self-extend G16 W64"));
            JsonNode continued = complete(server, next, true);
            assertEquals(cached(reference.answer()), cached(continued), "the restored slot supplies the same prefix");
            assertSameLogprobs(reference.answer(), continued);

            byte[] bytes = Files.readAllBytes(reference.file());
            byte[] otherModel = bytes.clone();
            otherModel[12] ^= 1; // the model file's size in the header
            Files.write(folder.resolve("other-model.bin"), otherModel);
            HttpResponse<String> refused = slotAction(server, 0, "restore", "other-model.bin");
            assertEquals(400, refused.statusCode());
            assertTrue(JSON.readTree(refused.body()).at("/error/message").asText().contains("computed by another model"), refused.body());
            Files.write(folder.resolve("short.bin"), java.util.Arrays.copyOf(bytes, bytes.length - 1000));
            refused = slotAction(server, 0, "restore", "short.bin");
            assertEquals(400, refused.statusCode());
            assertTrue(JSON.readTree(refused.body()).at("/error/message").asText().contains("truncated"), refused.body());
            assertEquals(400, slotAction(server, 0, "save", "../escape.bin").statusCode());
            assertEquals(404, slotAction(server, 0, "restore", "missing.bin").statusCode());
            assertEquals(404, slotAction(server, 3, "save", "x.bin").statusCode());
            HttpResponse<String> erased = slotAction(server, 0, "erase", null);
            assertEquals(200, erased.statusCode(), erased.body());
            assertEquals(0, cached(complete(server, next, true)), "an erased slot reuses nothing");
        }
        try (TestServer server = new TestServer(1, 4, null)) {
            assertEquals(501, slotAction(server, 0, "save", "story.bin").statusCode(), "without --slot-save-path");
        }
        // A server fixed to another scheme: the G16 W64 keys are not valid under G8 W64.
        try (TestServer server = new TestServer(1, 4, null, 0, dev.longlm.attention.ContextMethod.selfExtend(8, 64), List.of(),
                saveTo(folder))) {
            HttpResponse<String> refused = slotAction(server, 0, "restore", "story.bin");
            assertEquals(400, refused.statusCode(), refused.body());
            String message = JSON.readTree(refused.body()).at("/error/message").asText();
            assertTrue(message.contains("computed under 'self-extend G16 W64'") && message.contains("'self-extend G8 W64'"), message);
        }
    }

    @Test
    void longPromptsReportTheirProgress() throws Exception {
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        try (TestServer server = new TestServer(1, 4, null, 2048, null, List.of(), o -> o,
                new java.io.PrintStream(log, true, StandardCharsets.UTF_8))) {
            String prompt = prefix() + prefix().substring(0, 700); // about 1,190 tokens: 18 chunks of 64
            complete(server, prompt, true);
            String lines = log.toString(StandardCharsets.UTF_8);
            // A line as each quarter is passed (at chunk boundaries), the last at 100 %.
            List<String> progress = lines.lines().filter(l -> l.matches("longlm serve: slot 0: prompt \\d+/1\\d{3} tokens \\(\\d+%, 0 cached\\), \\d+ tok/s"))
                    .toList();
            assertEquals(4, progress.size(), lines);
            assertTrue(progress.getLast().contains("(100%"), lines);
        }
    }

    @Test
    void aRequestPastItsTimeoutEndsWithAnError() throws Exception {
        try (TestServer server = new TestServer(1, 4, null, 0, null, List.of(), o -> o.withTimeout(1))) {
            CompletionRequest request = RequestParser.parse(JSON.readTree("{\"prompt\": \"Once upon a time\", \"max_tokens\": 500}"),
                    false, TestServer.MODEL_ID);
            GenerationService.Plan plan = server.service.plan(request);
            // Arrived two seconds ago: the deadline has passed before the first event.
            ApiException e = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
                    () -> server.service.run(request, plan, null, step -> true, System.nanoTime() - 2_000_000_000L));
            assertEquals(503, e.status());
            assertEquals("request_timeout", e.code());
            assertTrue(e.getMessage().contains("1 s (--timeout)"), e.getMessage());
            HttpResponse<String> after = server.post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 4}");
            assertEquals(200, after.statusCode(), "the slot was freed");
        }
    }
}
