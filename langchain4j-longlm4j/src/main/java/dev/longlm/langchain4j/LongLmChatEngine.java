package dev.longlm.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.longlm.api.GenerationOptions;
import dev.longlm.api.GenerationResult;
import dev.longlm.api.LocalModel;
import dev.longlm.api.Sampling;
import dev.longlm.api.TokenListener;
import dev.longlm.api.chat.Chat;
import dev.longlm.api.chat.Message;
import dev.longlm.api.json.JsonSchemaOutput;

import java.util.ArrayList;
import java.util.List;

/** What both chat models do with a request: map it to a longlm4j chat reply, and the reply back. */
final class LongLmChatEngine implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A JSON response format without a schema: any object. */
    private static final String ANY_OBJECT = "{\"type\": \"object\"}";

    private final LocalModel model;
    private final boolean ownsModel;
    private final Chat chat;
    private final LongLmChatModel.Settings settings;

    LongLmChatEngine(LongLmChatModel.Settings settings) {
        this.settings = settings;
        this.ownsModel = settings.model() == null;
        this.model = ownsModel ? LocalModel.load(settings.modelPath(), settings.device()) : settings.model();
        this.chat = Chat.of(model, settings.chatTemplate());
    }

    String modelName() {
        return settings.modelName();
    }

    ChatResponse chat(ChatRequest request, TokenListener listener) {
        ChatRequestParameters p = request.parameters();
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("tool calling is not supported by langchain4j-longlm4j yet;"
                    + " remove the tools from the request (or the @Tool methods from the AI service)");
        }
        GenerationResult result = chat.reply(messages(request.messages()), options(p), listener);
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(result.text()))
                .modelName(settings.modelName())
                .tokenUsage(new TokenUsage(result.promptTokens(), result.outputTokens()))
                .finishReason(switch (result.finishReason()) {
                    case STOP -> FinishReason.STOP;
                    case LENGTH -> FinishReason.LENGTH;
                    case CANCELLED -> FinishReason.OTHER;
                })
                .build();
    }

    private GenerationOptions options(ChatRequestParameters p) {
        GenerationOptions options = GenerationOptions.greedy(p.maxOutputTokens() != null ? p.maxOutputTokens() : settings.maxTokens())
                .withContext(settings.contextChoice())
                .withContextLength(settings.contextLength())
                .withSampling(sampling(p));
        if (p.stopSequences() != null) {
            options = options.withStop(p.stopSequences());
        }
        ResponseFormat format = p.responseFormat();
        if (format != null && format.type() == ResponseFormatType.JSON) {
            options = options.withGrammar(JsonSchemaOutput.grammar(format.jsonSchema() == null ? ANY_OBJECT
                    : schemaText(format)));
        }
        return options;
    }

    private Sampling sampling(ChatRequestParameters p) {
        Sampling s = settings.sampling();
        float temperature = p.temperature() != null ? p.temperature().floatValue() : s.temperature();
        int topK = p.topK() != null ? p.topK() : s.topK();
        float topP = p.topP() != null ? p.topP().floatValue() : s.topP();
        return new Sampling(temperature, topK, topP, s.minP(), s.repeatPenalty(), s.seed());
    }

    private static String schemaText(ResponseFormat format) {
        try {
            return JSON.writeValueAsString(JsonSchemaElementJsonUtils.toMap(format.jsonSchema().rootElement()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON schema from LangChain4j that Jackson cannot write", e);
        }
    }

    private static List<Message> messages(List<ChatMessage> messages) {
        List<Message> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            out.add(switch (m) {
                case SystemMessage s -> Message.system(s.text());
                case UserMessage u when u.hasSingleText() -> Message.user(u.singleText());
                case UserMessage u -> throw new UnsupportedFeatureException("longlm4j models read text only; the user message has "
                        + u.contents().size() + " parts that are not all a single text");
                case AiMessage a when !a.hasToolExecutionRequests() -> Message.assistant(a.text() == null ? "" : a.text());
                default -> throw new UnsupportedFeatureException("tool calling is not supported by langchain4j-longlm4j yet;"
                        + " the conversation has a " + m.type() + " message");
            });
        }
        return out;
    }

    @Override
    public void close() {
        if (ownsModel) {
            model.close();
        }
    }
}
