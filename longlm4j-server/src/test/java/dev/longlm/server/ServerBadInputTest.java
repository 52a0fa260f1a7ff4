package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets an OpenAI-style 4xx and the server keeps serving; a full queue answers 503; a client that leaves frees its slot. */
class ServerBadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer(1, 0, null);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "malformed JSON            | /v1/chat/completions | {\"messages\": [                                          | 400 | invalid_json",
            "body not an object        | /v1/completions      | [1, 2]                                                    | 400 | invalid_body",
            "temperature of wrong type | /v1/completions      | {\"prompt\": \"hi\", \"temperature\": \"hot\"}            | 400 | invalid_type",
            "max_tokens of wrong type  | /v1/completions      | {\"prompt\": \"hi\", \"max_tokens\": 1.5}                 | 400 | invalid_type",
            "messages of wrong type    | /v1/chat/completions | {\"messages\": \"hello\"}                                 | 400 | invalid_type",
            "missing messages          | /v1/chat/completions | {\"model\": \"pd-llama-13m-ctx256-f16\"}                  | 400 | missing_field",
            "unknown role              | /v1/chat/completions | {\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]} | 400 | invalid_value",
            "temperature out of range  | /v1/completions      | {\"prompt\": \"hi\", \"temperature\": 7}                  | 400 | invalid_value",
            "n above one               | /v1/completions      | {\"prompt\": \"hi\", \"n\": 2}                            | 400 | invalid_value",
            "prompt over the limit     | /v1/completions      | {\"prompt\": \"hi\", \"max_tokens\": 5000}                | 400 | context_length_exceeded",
            "bad self_extend           | /v1/completions      | {\"prompt\": \"hi\", \"self_extend\": {\"group_size\": 4, \"window\": 6}} | 400 | invalid_value",
            "bad context_method        | /v1/completions      | {\"prompt\": \"hi\", \"context_method\": {\"method\": \"dca\", \"chunk_size\": 32, \"local_window\": 64}} | 400 | invalid_value",
            "context_method incomplete | /v1/completions      | {\"prompt\": \"hi\", \"context_method\": {\"method\": \"rerope\"}} | 400 | invalid_value",
            "two context methods       | /v1/completions      | {\"prompt\": \"hi\", \"self_extend\": {\"group_size\": 4, \"window\": 8}, \"context_method\": {\"method\": \"rerope\", \"window\": 8}} | 400 | invalid_value",
            "unknown model             | /v1/completions      | {\"prompt\": \"hi\", \"model\": \"gpt-4o\"}               | 404 | model_not_found",
            "unsupported schema        | /v1/chat/completions | {\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"s\", \"schema\": {\"type\": \"string\", \"pattern\": \"a+\"}}}} | 400 | invalid_schema",
            "unknown endpoint          | /v1/embeddings       | {}                                                        | 404 | not_found",
            "cyclic $ref               | /v1/completions      | {\"prompt\": \"x\", \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"schema\": {\"$defs\": {\"a\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}}}} | 400 | invalid_schema",
            "left-recursive $ref       | /v1/completions      | {\"prompt\": \"x\", \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"schema\": {\"$defs\": {\"a\": {\"anyOf\": [{\"$ref\": \"#/$defs/a\"}, {\"type\": \"null\"}]}}, \"$ref\": \"#/$defs/a\"}}}} | 400 | invalid_schema",
            "required cycle            | /v1/completions      | {\"prompt\": \"x\", \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"schema\": {\"$defs\": {\"n\": {\"type\": \"object\", \"properties\": {\"next\": {\"$ref\": \"#/$defs/n\"}}, \"required\": [\"next\"]}}, \"$ref\": \"#/$defs/n\"}}}} | 400 | invalid_schema",
            "required undefined        | /v1/completions      | {\"prompt\": \"x\", \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"schema\": {\"type\": \"object\", \"required\": [\"name\"]}}}} | 400 | invalid_schema",
            "schema over max_tokens    | /v1/completions      | {\"prompt\": \"x\", \"max_tokens\": 10, \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"schema\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"minLength\": 200}}, \"required\": [\"a\"]}}}} | 400 | invalid_schema",
    })
    void badInputIsA4xxAndTheServerKeepsServing(String what, String path, String body, int status, String code) throws Exception {
        HttpResponse<String> response = server.post(path, body);
        assertEquals(status, response.statusCode(), what + ": " + response.body());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertEquals(code, error.get("code").asText());
        assertFalse(error.get("message").asText().isBlank());
        assertTrue(error.get("type").isTextual());
        assertEquals(200, server.get("/health").statusCode());
    }

    @Test
    void promptLongerThanTheTrainedContextGetsAutomaticSelfExtend() throws Exception {
        // ~300 tokens of prompt on a model trained on 256: served under SelfExtend.auto instead of refused.
        String prompt = "The cat sat on the mat and looked at the dog. ".repeat(25);
        HttpResponse<String> response = server.post("/v1/completions", JSON.writeValueAsString(
                java.util.Map.of("prompt", prompt, "max_tokens", 4, "temperature", 0)));
        assertEquals(200, response.statusCode(), response.body());
        JsonNode usage = JSON.readTree(response.body()).get("usage");
        assertTrue(usage.get("prompt_tokens").asInt() > 256, usage.toString());
        assertEquals(4, usage.get("completion_tokens").asInt());
    }

    @Test
    void fullQueueAnswers503AndADisconnectFreesTheSlot() throws Exception {
        // One slot, no queue: a streaming request holds the slot while we read its first event.
        HttpRequest longRequest = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once upon a time\", \"max_tokens\": 200, \"stream\": true}")).header("Content-Type", "application/json")
                .build();
        HttpResponse<InputStream> streaming = server.http.send(longRequest, HttpResponse.BodyHandlers.ofInputStream());
        InputStream body = streaming.body();
        BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        assertTrue(reader.readLine().startsWith("data: {"));
        assertEquals(1, JSON.readTree(server.get("/health").body()).get("slots_busy").asInt());

        HttpResponse<String> refused = server.post("/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 2}");
        assertEquals(503, refused.statusCode());
        assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
        assertEquals("server_busy", JSON.readTree(refused.body()).at("/error/code").asText());

        body.close(); // the client goes away mid-stream
        int busy = 1;
        for (int i = 0; i < 200 && busy != 0; i++) {
            Thread.sleep(25);
            busy = JSON.readTree(server.get("/health").body()).get("slots_busy").asInt();
        }
        assertEquals(0, busy, "the slot was not freed after the client disconnected");
        assertEquals(200, server.post("/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 2}").statusCode());
    }

    /** Issue 17, defect 6: json_object must give a JSON object, not any JSON value (was: ints, strings, floats in 20 of 20 seeds). */
    @Test
    void jsonObjectGivesAnObjectForEverySeed() throws Exception {
        for (int seed = 1; seed <= 20; seed++) {
            HttpResponse<String> response = server.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Answer in JSON\"}],"
                    + " \"max_tokens\": 24, \"seed\": " + seed + ", \"response_format\": {\"type\": \"json_object\"}}");
            assertEquals(200, response.statusCode(), response.body());
            String content = JSON.readTree(response.body()).at("/choices/0/message/content").asText();
            assertTrue(JSON.readTree(content).isObject(), "seed " + seed + ": " + content);
        }
    }
}
