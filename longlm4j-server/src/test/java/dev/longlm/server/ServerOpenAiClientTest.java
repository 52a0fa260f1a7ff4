package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.longlm.attention.PositionScheme;
import dev.longlm.generate.Generator;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.SamplingParameters;
import dev.longlm.generate.Session;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server through the official OpenAI Java client: plain, streamed and schema-constrained requests. */
class ServerOpenAiClientTest {
    private static final String KEY = "test-key";
    private static TestServer server;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer(2, 8, KEY);
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey(KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** What the engine's own greedy generator produces for the prompt text the plain template renders. */
    private static Generator.Result reference(String promptText, int maxTokens) {
        var tokenizer = server.model.tokenizer();
        int[] tokens = tokenizer.encode(promptText, tokenizer.addBosByDefault(), true);
        Session session = Session.create(server.model, server.backend, PositionScheme.PLAIN, tokens.length + maxTokens);
        return Generator.generate(session, tokenizer, tokens, maxTokens, new Sampler(SamplingParameters.GREEDY, tokenizer.vocabSize()), null, null);
    }

    @Test
    void completionMatchesTheEngineGreedily() {
        Completion completion = client.completions().create(CompletionCreateParams.builder()
                .model(TestServer.MODEL_ID).prompt("Once upon a time").maxTokens(12).temperature(0.0).build());
        Generator.Result expected = reference("Once upon a time", 12);
        assertEquals(expected.text(), completion.choices().get(0).text());
        assertEquals(expected.promptTokens().length, completion.usage().orElseThrow().promptTokens());
        assertEquals(12, completion.usage().orElseThrow().completionTokens());
        assertEquals("length", completion.choices().get(0).finishReason().asString());
    }

    @Test
    void chatCompletionAndItsStreamAgree() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(TestServer.MODEL_ID)
                .addUserMessage("Tell me about the cat").maxCompletionTokens(10).temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        ChatCompletion whole = client.chat().completions().create(params.toBuilder().streamOptions((ChatCompletionStreamOptions) null).build());
        String content = whole.choices().get(0).message().content().orElseThrow();
        // The plain template's prompt; generation stops at its turn end ("\n") or after 10 tokens.
        Generator.Result expected = reference("User: Tell me about the cat\nAssistant:", 10);
        String expectedText = expected.text().contains("\n") ? expected.text().substring(0, expected.text().indexOf('\n')) : expected.text();
        assertEquals(expectedText, content);
        assertEquals(expected.promptTokens().length, whole.usage().orElseThrow().promptTokens());

        StringBuilder streamed = new StringBuilder();
        int finishes = 0;
        long usageTokens = -1;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                    choice.delta().content().ifPresent(streamed::append);
                    if (choice.finishReason().isPresent()) {
                        finishes++;
                    }
                }
                if (chunk.usage().isPresent()) {
                    usageTokens = chunk.usage().get().completionTokens();
                }
            }
        }
        assertEquals(content, streamed.toString());
        assertEquals(1, finishes);
        assertEquals(whole.usage().orElseThrow().completionTokens(), usageTokens);
    }

    @Test
    void jsonSchemaResponseParsesAndValidates() throws Exception {
        Map<String, Object> schema = Map.of("type", "object",
                "properties", Map.of("id", Map.of("type", "string", "maxLength", 20),
                        "tags", Map.of("type", "array", "maxItems", 3, "items", Map.of("enum", List.of("cats", "dogs", "birds")))),
                "required", List.of("id", "tags"), "additionalProperties", false);
        ResponseFormatJsonSchema.JsonSchema.Schema.Builder schemaBuilder = ResponseFormatJsonSchema.JsonSchema.Schema.builder();
        schema.forEach((k, v) -> schemaBuilder.putAdditionalProperty(k, JsonValue.from(v)));
        ChatCompletion result = client.chat().completions().create(ChatCompletionCreateParams.builder().model(TestServer.MODEL_ID)
                .addUserMessage("Tag this text about pets.").maxCompletionTokens(40).temperature(1.0).seed(7L)
                .responseFormat(ResponseFormatJsonSchema.builder().jsonSchema(ResponseFormatJsonSchema.JsonSchema.builder()
                        .name("tags").schema(schemaBuilder.build()).build()).build()).build());
        ObjectMapper json = new ObjectMapper();
        JsonNode output = json.readTree(result.choices().get(0).message().content().orElseThrow());
        var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(json.valueToTree(schema));
        assertEquals(java.util.Set.of(), validator.validate(output), "output " + output);
        assertTrue(output.get("tags").size() <= 3);
    }

    private static final Map<String, Object> WEATHER_PARAMETERS = Map.of("type", "object",
            "properties", Map.of("location", Map.of("type", "string", "maxLength", 24),
                    "unit", Map.of("enum", List.of("celsius", "fahrenheit"))),
            "required", List.of("location", "unit"));

    private static ChatCompletionCreateParams.Builder weatherQuestion() {
        com.openai.models.FunctionParameters.Builder parameters = com.openai.models.FunctionParameters.builder();
        WEATHER_PARAMETERS.forEach((k, v) -> parameters.putAdditionalProperty(k, JsonValue.from(v)));
        return ChatCompletionCreateParams.builder().model(TestServer.MODEL_ID)
                .addUserMessage("What is the weather in Paris?")
                .addFunctionTool(com.openai.models.FunctionDefinition.builder().name("get_weather")
                        .description("Get the current weather in a city").parameters(parameters.build()).build())
                .addFunctionTool(com.openai.models.FunctionDefinition.builder().name("get_time").build())
                .toolChoice(com.openai.models.chat.completions.ChatCompletionNamedToolChoice.builder()
                        .function(com.openai.models.chat.completions.ChatCompletionNamedToolChoice.Function.builder().name("get_weather").build())
                        .build())
                .maxCompletionTokens(150).temperature(1.0).seed(11L);
    }

    private static void assertValidWeatherArguments(String arguments) throws Exception {
        ObjectMapper json = new ObjectMapper();
        var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(json.valueToTree(WEATHER_PARAMETERS));
        assertEquals(java.util.Set.of(), validator.validate(json.readTree(arguments)), "arguments " + arguments);
    }

    @Test
    void aForcedToolCallHasArgumentsValidForItsSchema() throws Exception {
        // Sampled at temperature 1, which may write one call or several (up to 4) under parallel_tool_calls'
        // default: every one must be of the named function with valid arguments; without parallel calls,
        // exactly one.
        ChatCompletion parallel = client.chat().completions().create(weatherQuestion().build());
        var parallelCalls = parallel.choices().get(0).message().toolCalls().orElseThrow();
        assertTrue(parallelCalls.size() >= 1 && parallelCalls.size() <= 4, parallelCalls.size() + " calls");
        for (var c : parallelCalls) {
            assertEquals("get_weather", c.asFunction().function().name());
            assertValidWeatherArguments(c.asFunction().function().arguments());
        }
        ChatCompletion result = client.chat().completions().create(weatherQuestion().parallelToolCalls(false).build());
        var choice = result.choices().get(0);
        assertEquals("tool_calls", choice.finishReason().asString());
        var calls = choice.message().toolCalls().orElseThrow();
        assertEquals(1, calls.size());
        var call = calls.get(0).asFunction();
        assertEquals("get_weather", call.function().name());
        assertTrue(call.id().startsWith("call_"), call.id());
        assertValidWeatherArguments(call.function().arguments());
        assertTrue(choice.message().content().isEmpty(), "no text beside the call");

        // Greedily (sampling at temperature 1 could flip where the CPU's float sums differ in the last bits
        // between runs): the streamed call, one delta per call, has the whole response's arguments.
        ChatCompletion greedy = client.chat().completions().create(weatherQuestion().temperature(0.0).build());
        List<String> greedyArguments = greedy.choices().get(0).message().toolCalls().orElseThrow().stream()
                .map(c -> c.asFunction().function().arguments()).toList();
        for (String a : greedyArguments) {
            assertValidWeatherArguments(a);
        }
        Map<Long, StringBuilder> streamed = new java.util.TreeMap<>();
        String finish = null;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(weatherQuestion().temperature(0.0).build())) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                for (ChatCompletionChunk.Choice c : chunk.choices()) {
                    c.delta().toolCalls().ifPresent(deltas -> deltas.forEach(d -> {
                        assertEquals("get_weather", d.function().orElseThrow().name().orElseThrow());
                        streamed.computeIfAbsent(d.index(), k -> new StringBuilder()).append(d.function().orElseThrow().arguments().orElse(""));
                    }));
                    if (c.finishReason().isPresent()) {
                        finish = c.finishReason().get().asString();
                    }
                }
            }
        }
        assertEquals("tool_calls", finish);
        assertEquals(greedyArguments, streamed.values().stream().map(StringBuilder::toString).toList());

        // The tool's result goes back through the template; the model then answers in text.
        ChatCompletion answer = client.chat().completions().create(weatherQuestion()
                .toolChoice(com.openai.models.chat.completions.ChatCompletionToolChoiceOption.Auto.NONE)
                .addMessage(choice.message())
                .addMessage(com.openai.models.chat.completions.ChatCompletionToolMessageParam.builder().toolCallId(call.id())
                        .content("{\"temperature\": 21}").build())
                .maxCompletionTokens(5).build());
        assertTrue(answer.choices().get(0).message().toolCalls().isEmpty());
        ChatCompletion without = client.chat().completions().create(weatherQuestion()
                .toolChoice(com.openai.models.chat.completions.ChatCompletionToolChoiceOption.Auto.NONE).maxCompletionTokens(5).build());
        assertTrue(answer.usage().orElseThrow().promptTokens() > without.usage().orElseThrow().promptTokens() + 20,
                "the call and its result are in the prompt");
    }

    @Test
    void apiKeyIsRequired() throws Exception {
        HttpResponse<String> response = server.http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/models")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, response.statusCode());
        assertEquals("invalid_api_key", new ObjectMapper().readTree(response.body()).at("/error/code").asText());
        assertEquals(TestServer.MODEL_ID, client.models().list().data().get(0).id());
        assertEquals(200, server.get("/health").statusCode());
    }
}
