package dev.longlm.langchain4j;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.longlm.api.ContextChoice;
import dev.longlm.api.Device;
import dev.longlm.api.LocalModel;
import dev.longlm.api.Sampling;
import dev.longlm.api.TokenListener;

import java.nio.file.Path;
import java.util.Set;

/**
 * A LangChain4j {@link ChatModel} on a local GGUF model. Holds the model (when it loaded it) until
 * {@link #close()}. Thread-safe.
 */
public final class LongLmChatModel implements ChatModel, AutoCloseable {
    private final LongLmChatEngine engine;

    LongLmChatModel(Settings settings) {
        this.engine = new LongLmChatEngine(settings);
    }

    /** A builder for this model and for {@link LongLmStreamingChatModel}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return engine.chat(request, TokenListener.NONE);
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    @Override
    public void close() {
        engine.close();
    }

    /**
     * What a model is built from: a GGUF file to load on {@code device}, or an already loaded {@code model}
     * (shared, not closed by the chat model).
     */
    record Settings(Path modelPath, LocalModel model, Device device, ContextChoice contextChoice, int contextLength,
                    int maxTokens, Sampling sampling, String chatTemplate) {
        String modelName() {
            return modelPath != null ? modelPath.getFileName().toString() : "longlm4j";
        }
    }

    /** Builds {@link LongLmChatModel} ({@link #build()}) and {@link LongLmStreamingChatModel} ({@link #buildStreaming()}). */
    public static final class Builder {
        private Path modelPath;
        private LocalModel model;
        private Device device = Device.cpu();
        private ContextChoice contextChoice = ContextChoice.selfExtend();
        private int contextLength;
        private int maxTokens = 256;
        private Sampling sampling = Sampling.GREEDY;
        private String chatTemplate;

        private Builder() {
        }

        /** The GGUF file to load. */
        public Builder modelPath(Path path) {
            this.modelPath = path;
            return this;
        }

        /** A model already loaded (e.g. shared by a chat and a streaming model); it stays open after {@code close()}. */
        public Builder model(LocalModel loaded) {
            this.model = loaded;
            return this;
        }

        /** Where to run (default: the CPU with every processor). */
        public Builder device(Device d) {
            this.device = d;
            return this;
        }

        /** The long-context method (default: Self-Extend chosen from each request's length). */
        public Builder contextChoice(ContextChoice choice) {
            this.contextChoice = choice;
            return this;
        }

        /** Session positions (default 0: each request's prompt plus its token budget). */
        public Builder contextLength(int positions) {
            this.contextLength = positions;
            return this;
        }

        /** Tokens to generate when a request does not say (default 256). */
        public Builder maxTokens(int tokens) {
            this.maxTokens = tokens;
            return this;
        }

        /** Sampling when a request does not set temperature, top-k or top-p (default greedy). */
        public Builder sampling(Sampling s) {
            this.sampling = s;
            return this;
        }

        /** A built-in template name or a .jinja file (default: the GGUF's own). */
        public Builder chatTemplate(String template) {
            this.chatTemplate = template;
            return this;
        }

        public LongLmChatModel build() {
            return new LongLmChatModel(settings());
        }

        public LongLmStreamingChatModel buildStreaming() {
            return new LongLmStreamingChatModel(settings());
        }

        private Settings settings() {
            if ((modelPath == null) == (model == null)) {
                throw new IllegalArgumentException("set exactly one of modelPath (a GGUF file to load) and model (a loaded one)");
            }
            return new Settings(modelPath, model, device, contextChoice, contextLength, maxTokens, sampling, chatTemplate);
        }
    }
}
