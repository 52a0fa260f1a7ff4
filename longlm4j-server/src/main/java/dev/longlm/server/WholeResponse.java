package dev.longlm.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.longlm.generate.Completion;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A non-streamed response. Headers go out when generation starts and a space (JSON allows leading
 * whitespace) every {@value #HEARTBEAT_MILLIS} ms while it runs: writing to a closed connection fails, so
 * a client that gave up is noticed within a heartbeat and its slot freed, as with streaming.
 */
final class WholeResponse implements ResponseStream {
    static final long HEARTBEAT_MILLIS = 200;

    private final HttpExchange exchange;
    private final CompletionRequest request;
    private final String model;
    private final List<Completion.Step> steps = new ArrayList<>();
    private OutputStream out;
    private long lastWrite;
    private boolean gone;

    private final dev.longlm.structured.ToolCallSyntax toolSyntax;

    /** @param toolSyntax how the reply's function calls are written; null when the request has no tools */
    WholeResponse(HttpExchange exchange, CompletionRequest request, String model, dev.longlm.structured.ToolCallSyntax toolSyntax) {
        this.exchange = exchange;
        this.request = request;
        this.model = model;
        this.toolSyntax = toolSyntax;
    }

    @Override
    public void begin() {
        try {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 0);
            out = exchange.getResponseBody();
            lastWrite = System.currentTimeMillis();
        } catch (IOException e) {
            gone = true;
        }
    }

    @Override
    public boolean step(Completion.Step step) {
        if (request.topLogprobs() >= 0) {
            steps.add(step);
        }
        long now = System.currentTimeMillis();
        if (!gone && now - lastWrite >= HEARTBEAT_MILLIS) {
            try {
                out.write(' ');
                out.flush();
                lastWrite = now;
            } catch (IOException e) {
                gone = true;
            }
        }
        return !gone;
    }

    @Override
    public boolean begun() {
        return out != null;
    }

    /** The status line said 200 already; the body is the error object (after the heartbeat spaces, still valid JSON). */
    @Override
    public void fail(ApiException error) throws IOException {
        if (gone) {
            return;
        }
        out.write(OpenAiServer.utf8(OpenAiServer.body(OpenAiServer.errorBody(error.type(), error.code(), error.getMessage()))));
        out.close();
    }

    @Override
    public void finish(GenerationService.Outcome outcome) throws IOException {
        ObjectNode body = ResponseJson.envelope(ResponseJson.newId(request.chat()),
                request.chat() ? "chat.completion" : "text_completion", model);
        ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
        String finishReason = ResponseJson.finishReason(outcome.finishReason());
        if (request.chat()) {
            var reply = toolSyntax == null ? null : toolSyntax.parse(outcome.text(), java.util.concurrent.ThreadLocalRandom.current());
            ObjectNode message = choice.putObject("message").put("role", "assistant");
            if (reply != null && !reply.calls().isEmpty()) {
                message.put("content", reply.content());
                message.set("tool_calls", ResponseJson.toolCalls(reply.calls(), false));
                finishReason = "tool_calls";
            } else {
                message.put("content", outcome.text());
            }
            message.putNull("refusal");
            if (request.topLogprobs() >= 0) {
                choice.set("logprobs", ResponseJson.chatLogprobs(steps));
            } else {
                choice.putNull("logprobs");
            }
        } else {
            choice.put("text", outcome.text());
            if (request.topLogprobs() >= 0) {
                choice.set("logprobs", ResponseJson.completionLogprobs(steps, 0));
            } else {
                choice.putNull("logprobs");
            }
        }
        choice.put("finish_reason", finishReason);
        body.set("usage", ResponseJson.usage(outcome.promptTokens(), outcome.completionTokens(), outcome.cachedTokens()));
        out.write(OpenAiServer.utf8(OpenAiServer.body(body)));
        out.close();
    }
}
