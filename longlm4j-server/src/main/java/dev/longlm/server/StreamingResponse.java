package dev.longlm.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.longlm.generate.Completion;

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
    /** With tools: how calls are written; the text may become calls, so text that may start one is held back. */
    private final dev.longlm.structured.ToolCallSyntax toolSyntax;
    private final StringBuilder text = new StringBuilder();
    /** Characters of {@link #text} sent as content deltas. */
    private int sent;

    /** @param toolSyntax how the reply's function calls are written; null when the request has no tools */
    StreamingResponse(HttpExchange exchange, CompletionRequest request, String model, dev.longlm.structured.ToolCallSyntax toolSyntax) {
        this.exchange = exchange;
        this.request = request;
        this.model = model;
        this.id = ResponseJson.newId(request.chat());
        this.toolSyntax = toolSyntax;
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
        if (toolSyntax != null) {
            return toolStep(step.text());
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

    /**
     * Sends the text up to where function calls may begin (all of it while none may); what is held back
     * is sent at the end, as calls or, if it parses as none, as text. A forced call holds back everything.
     */
    private boolean toolStep(String piece) {
        text.append(piece);
        int until = text.length();
        if (request.toolChoice().forced()) {
            until = 0;
        } else {
            for (int i = sent; i < text.length(); i++) {
                if (toolSyntax.callsMayStartAt(text.toString(), i)) {
                    until = i;
                    break;
                }
            }
        }
        if (until > sent) {
            ObjectNode chunk = chunk();
            ObjectNode choice = chunk.withArray("choices").addObject().put("index", 0);
            choice.putObject("delta").put("content", text.substring(sent, until));
            choice.putNull("logprobs");
            choice.putNull("finish_reason");
            sent = until;
            try {
                send(chunk);
            } catch (IOException e) {
                gone = true;
            }
        }
        return !gone;
    }

    /** The held-back end of a tool-enabled reply: its calls (one delta each), or its text; returns the finish reason. */
    private String finishTools(GenerationService.Outcome outcome) throws IOException {
        var reply = toolSyntax.parse(text.toString(), java.util.concurrent.ThreadLocalRandom.current());
        if (reply.calls().isEmpty()) {
            if (sent < text.length()) {
                ObjectNode chunk = chunk();
                ObjectNode choice = chunk.withArray("choices").addObject().put("index", 0);
                choice.putObject("delta").put("content", text.substring(sent));
                choice.putNull("logprobs");
                choice.putNull("finish_reason");
                send(chunk);
            }
            return ResponseJson.finishReason(outcome.finishReason());
        }
        var calls = ResponseJson.toolCalls(reply.calls(), true);
        for (var call : calls) {
            ObjectNode chunk = chunk();
            ObjectNode choice = chunk.withArray("choices").addObject().put("index", 0);
            choice.putObject("delta").putArray("tool_calls").add(call);
            choice.putNull("logprobs");
            choice.putNull("finish_reason");
            send(chunk);
        }
        return "tool_calls";
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
        String finishReason = toolSyntax != null ? finishTools(outcome) : ResponseJson.finishReason(outcome.finishReason());
        ObjectNode last = chunk();
        ObjectNode choice = last.withArray("choices").addObject().put("index", 0);
        if (request.chat()) {
            choice.putObject("delta");
        } else {
            choice.put("text", "");
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
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
