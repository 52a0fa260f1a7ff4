package dev.longlm.langchain4j;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

import java.util.Set;

/**
 * A LangChain4j {@link StreamingChatModel} on a local GGUF model: the handler receives each piece of text
 * as it is generated, on the calling thread, then the complete response. Built by
 * {@link LongLmChatModel.Builder#buildStreaming()}. Thread-safe.
 */
public final class LongLmStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private final LongLmChatEngine engine;

    LongLmStreamingChatModel(LongLmChatModel.Settings settings) {
        this.engine = new LongLmChatEngine(settings);
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        ChatResponse response;
        try {
            response = engine.chat(request, handler::onPartialResponse);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        handler.onCompleteResponse(response); // outside the try: a handler's own failure is not the model's error
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    @Override
    public void close() {
        engine.close();
    }
}
