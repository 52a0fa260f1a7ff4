package dev.longlm.langchain4j;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import dev.longlm.api.Device;
import dev.longlm.api.LocalModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LangChain4j's own AiServices on the bundled model, through both chat models. */
class AiServicesTest {
    private static LocalModel shared;
    private static LongLmChatModel chatModel;
    private static LongLmStreamingChatModel streamingModel;

    /**
     * Required properties: LangChain4j's schema then lists them in "required", and the grammar must produce both.
     * (No integer: the schema puts no bound on one, and the tiny model writes more digits than an int holds.)
     */
    record Character(@JsonProperty(required = true) String name, @JsonProperty(required = true) boolean brave) {
    }

    interface CharacterWriter {
        Character invent(String description);
    }

    interface StoryTeller {
        String tell(String opening);
    }

    interface StreamingStoryTeller {
        TokenStream tell(String opening);
    }

    interface Calculator {
        String compute(String question);
    }

    static final class Tools {
        @Tool("adds two numbers")
        int add(int a, int b) {
            return a + b;
        }
    }

    /** Keeps the last request and response that passed through, for checking the raw JSON. */
    static final class Recording implements ChatModel {
        final ChatModel inner;
        ChatRequest request;
        ChatResponse response;

        Recording(ChatModel inner) {
            this.inner = inner;
        }

        @Override
        public ChatResponse doChat(ChatRequest r) {
            request = r;
            response = inner.chat(r);
            return response;
        }

        @Override
        public Set<Capability> supportedCapabilities() {
            return inner.supportedCapabilities();
        }
    }

    @BeforeAll
    static void load() {
        shared = LocalModel.load(Path.of("models/pd-llama-13m-ctx256-f16.gguf"), Device.cpu(2));
        chatModel = LongLmChatModel.builder().model(shared).chatTemplate("chatml").maxTokens(48).build();
        streamingModel = LongLmChatModel.builder().model(shared).chatTemplate("chatml").maxTokens(48).buildStreaming();
    }

    @AfterAll
    static void close() {
        chatModel.close();
        streamingModel.close();
        shared.close();
    }

    @Test
    void aRecordComesBackFromJsonTheSchemaAccepts() throws Exception {
        Recording recording = new Recording(chatModel);
        Character c = AiServices.create(CharacterWriter.class, recording).invent("a brave knight");
        assertNotNull(c);
        var format = recording.request.parameters().responseFormat();
        assertNotNull(format, "AiServices asked for a response format (the capability is advertised)");
        assertNotNull(format.jsonSchema(), "AiServices asked for a JSON schema (the capability is advertised)");
        String schema = new ObjectMapper().writeValueAsString(JsonSchemaElementJsonUtils.toMap(format.jsonSchema().rootElement()));
        var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
        String raw = recording.response.aiMessage().text();
        assertTrue(validator.validate(new ObjectMapper().readTree(raw)).isEmpty(), raw + " against " + schema);
        assertTrue(schema.contains("\"required\":[\"name\",\"brave\"]"), schema);
        var document = new ObjectMapper().readTree(raw);
        assertEquals(new Character(document.get("name").asText(), document.get("brave").asBoolean()), c);
        assertEquals(FinishReason.STOP, recording.response.finishReason());
        assertTrue(recording.response.tokenUsage().inputTokenCount() > 0);
        assertTrue(recording.response.tokenUsage().outputTokenCount() > 0);
    }

    @Test
    void streamingDeliversTheSameTextAsNonStreamingAtTemperatureZero() throws Exception {
        String whole = AiServices.create(StoryTeller.class, chatModel).tell("Once upon a time");
        StringBuilder pieces = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        AiServices.create(StreamingStoryTeller.class, streamingModel).tell("Once upon a time")
                .onPartialResponse(pieces::append)
                .onCompleteResponse(done::complete)
                .onError(done::completeExceptionally)
                .start();
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        assertFalse(whole.isEmpty());
        assertEquals(whole, pieces.toString());
        assertEquals(whole, response.aiMessage().text());
    }

    @Test
    void toolsAreAClearUnsupportedFeature() {
        Calculator calculator = AiServices.builder(Calculator.class).chatModel(chatModel).tools(new Tools()).build();
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, () -> calculator.compute("2 + 3?"));
        assertTrue(e.getMessage().startsWith("tool calling is not supported by langchain4j-longlm4j yet"), e.getMessage());
    }
}
