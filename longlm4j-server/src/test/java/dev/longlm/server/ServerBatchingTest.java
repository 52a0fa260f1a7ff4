package dev.longlm.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.Plain;
import dev.longlm.attention.SelfExtend;
import dev.longlm.generate.Completion;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.SamplingParameters;
import dev.longlm.generate.Session;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Requests decoded together in the batched loop — different prompt lengths, some of them under
 * Self-Extend, DCA or Leaky ReRoPE and long enough to be read in several chunks while the others decode — each get the
 * greedy text that a lone {@link Session} with a {@link Completion} produces for them.
 */
class ServerBatchingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_TOKENS = 8;

    private record Case(String prompt, ContextMethod method) {
    }

    @Test
    void concurrentRequestsGetTheirLoneGreedyText() throws Exception {
        List<Case> cases = List.of(
                new Case("Once upon a time", ContextMethod.none()),
                new Case("The little dog ran to the park and", ContextMethod.none()),
                new Case("Tom had a red ball. ".repeat(60), ContextMethod.selfExtend(4, 32)),
                new Case("Lily liked to", ContextMethod.none()),
                new Case("Sam saw a big tree. ".repeat(50), ContextMethod.dualChunk(128, 64)),
                new Case("Ann had a blue hat. ".repeat(50), ContextMethod.leakyRerope(32, 4)));
        try (TestServer server = new TestServer(4, 4, null);
             ExecutorService clients = Executors.newFixedThreadPool(cases.size())) {
            List<Future<String>> answers = new ArrayList<>();
            for (Case c : cases) {
                Map<String, Object> body = new java.util.HashMap<>(Map.of("prompt", c.prompt(), "max_tokens", MAX_TOKENS,
                        "temperature", 0, "stream", true));
                if (c.method() instanceof SelfExtend se) {
                    body.put("self_extend", Map.of("group_size", se.groupSize(), "window", se.window()));
                } else if (!(c.method() instanceof Plain)) {
                    body.put("context_method", c.method().settings()); // the keys of result files: method, chunk_size, …
                }
                answers.add(clients.submit(() -> streamedText(server.post("/v1/completions", JSON.writeValueAsString(body)).body())));
            }
            List<String> texts = new ArrayList<>();
            for (Future<String> answer : answers) {
                texts.add(answer.get());
            }
            // Only now, with the server idle: the reference runs on the server's thread backend too.
            for (int i = 0; i < cases.size(); i++) {
                assertEquals(loneGreedyText(server, cases.get(i)), texts.get(i), "request " + i);
                assertFalse(texts.get(i).isBlank(), "request " + i + " generated nothing to compare");
            }
        }
    }

    private static String loneGreedyText(TestServer server, Case c) {
        var tokenizer = server.model.tokenizer();
        int[] prompt = tokenizer.encode(c.prompt(), tokenizer.addBosByDefault(), false);
        Session session = Session.create(server.model, server.backend, c.method(), prompt.length + MAX_TOKENS);
        float[] logits = session.append(prompt);
        Completion completion = new Completion(session, tokenizer, new Sampler(SamplingParameters.GREEDY, tokenizer.vocabSize()),
                logits, new Completion.Options(MAX_TOKENS, List.of(), -1, null), null);
        while (completion.next() != null) {
            // run to the end
        }
        return completion.text();
    }

    private static String streamedText(String events) throws Exception {
        StringBuilder text = new StringBuilder();
        for (String event : events.split("\n\n")) {
            if (event.startsWith("data: {")) {
                text.append(JSON.readTree(event.substring(6)).at("/choices/0/text").asText());
            }
        }
        return text.toString();
    }
}
