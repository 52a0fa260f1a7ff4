package dev.longlm.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.longlm.chat.Completion;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/** Server-sent events: one {@code data: CHUNK} per token, a final chunk with the finish reason, {@code data: [DONE]}. */
final class StreamingResponse implements ResponseStream {
    private final HttpExchange exchange;
    private final CompletionRequest request;
    private final String model;
    private final String id;
    private OutputStream out;
    private boolean gone;

    StreamingResponse(HttpExchange exchange, CompletionRequest request, String model) {
        this.exchange = exchange;
        this.request = request;
        this.model = model;
        this.id = ResponseJson.newId(request.chat());
    }

    @Override
    public void begin() {
        try {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, 0);
            out = exchange.getResponseBody();
            if (request.chat()) {
                ObjectNode first = chunk();
                ObjectNode choice = first.withArray("choices").addObject().put("index", 0);
                choice.putObject("delta").put("role", "assistant").put("content", "");
                choice.putNull("logprobs");
                choice.putNull("finish_reason");
                send(first);
            }
        } catch (IOException e) {
            gone = true;
        }
    }

    @Override
    public boolean step(Completion.Step step) {
        if (gone) {
            return false;
        }
        if (step.text().isEmpty() && step.chosen() == null) {
            return true;
        }
        ObjectNode chunk = chunk();
        ObjectNode choice = chunk.withArray("choices").addObject().put("index", 0);
        if (request.chat()) {
            choice.putObject("delta").put("content", step.text());
            choice.set("logprobs", step.chosen() == null ? null : ResponseJson.chatLogprobs(List.of(step)));
        } else {
            choice.put("text", step.text());
            choice.set("logprobs", step.chosen() == null ? null : ResponseJson.completionLogprobs(List.of(step), 0));
        }
        choice.putNull("finish_reason");
        try {
            send(chunk);
        } catch (IOException e) {
            gone = true;
        }
        return !gone;
    }

    @Override
    public boolean begun() {
        return out != null;
    }

    @Override
    public void fail(ApiException error) throws IOException {
        if (gone) {
            return;
        }
        send(OpenAiServer.errorBody(error.type(), error.code(), error.getMessage()));
        out.write(OpenAiServer.utf8("data: [DONE]\n\n"));
        out.close();
    }

    @Override
    public void finish(GenerationService.Outcome outcome) throws IOException {
        ObjectNode last = chunk();
        ObjectNode choice = last.withArray("choices").addObject().put("index", 0);
        if (request.chat()) {
            choice.putObject("delta");
        } else {
            choice.put("text", "");
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", ResponseJson.finishReason(outcome.finishReason()));
        send(last);
        if (request.includeUsage()) {
            ObjectNode usage = chunk();
            usage.putArray("choices");
            usage.set("usage", ResponseJson.usage(outcome.promptTokens(), outcome.completionTokens(), outcome.cachedTokens()));
            send(usage);
        }
        out.write(OpenAiServer.utf8("data: [DONE]\n\n"));
        out.close();
    }

    private ObjectNode chunk() {
        return ResponseJson.envelope(id, request.chat() ? "chat.completion.chunk" : "text_completion", model);
    }

    private void send(com.fasterxml.jackson.databind.JsonNode chunk) throws IOException {
        out.write(OpenAiServer.utf8("data: " + OpenAiServer.body(chunk) + "\n\n"));
        out.flush();
    }
}
