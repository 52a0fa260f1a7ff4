package dev.longlm.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.longlm.generate.Completion;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** OpenAI response objects: ids, choices, usage and the two log-probability formats. */
final class ResponseJson {
    private ResponseJson() {
    }

    static String newId(boolean chat) {
        return (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    static ObjectNode envelope(String id, String object, String model) {
        return OpenAiServer.JSON.createObjectNode().put("id", id).put("object", object)
                .put("created", System.currentTimeMillis() / 1000).put("model", model);
    }

    /** OpenAI's usage object; {@code cached} prompt tokens came from a slot's cache, as OpenAI reports its own. */
    static ObjectNode usage(int prompt, int completion, int cached) {
        ObjectNode usage = OpenAiServer.JSON.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
        usage.putObject("prompt_tokens_details").put("cached_tokens", cached);
        return usage;
    }

    static String finishReason(Completion.FinishReason reason) {
        return reason == Completion.FinishReason.LENGTH ? "length" : "stop";
    }

    /** OpenAI's {@code tool_calls}: {@code [{id, type: "function", function: {name, arguments}}]}, with stream indexes when asked. */
    static ArrayNode toolCalls(List<dev.longlm.chat.ToolCall> calls, boolean indexed) {
        ArrayNode array = OpenAiServer.JSON.createArrayNode();
        for (int i = 0; i < calls.size(); i++) {
            dev.longlm.chat.ToolCall call = calls.get(i);
            ObjectNode entry = array.addObject();
            if (indexed) {
                entry.put("index", i);
            }
            entry.put("id", call.id()).put("type", "function");
            entry.putObject("function").put("name", call.name()).put("arguments", call.arguments());
        }
        return array;
    }

    /** Chat format: {@code {"content": [{token, logprob, bytes, top_logprobs: [...]}]}}. */
    static ObjectNode chatLogprobs(List<Completion.Step> steps) {
        ObjectNode logprobs = OpenAiServer.JSON.createObjectNode();
        ArrayNode content = logprobs.putArray("content");
        for (Completion.Step step : steps) {
            if (step.chosen() == null) {
                continue;
            }
            ObjectNode entry = chatEntry(step.chosen());
            ArrayNode top = entry.putArray("top_logprobs");
            for (Completion.TokenLogprob alt : step.top()) {
                top.add(chatEntry(alt));
            }
            content.add(entry);
        }
        logprobs.putNull("refusal");
        return logprobs;
    }

    private static ObjectNode chatEntry(Completion.TokenLogprob lp) {
        ObjectNode entry = OpenAiServer.JSON.createObjectNode().put("token", lp.text()).put("logprob", lp.logprob());
        ArrayNode bytes = entry.putArray("bytes");
        for (byte b : lp.text().getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xFF);
        }
        return entry;
    }

    /** Legacy completions format: parallel arrays plus a token → logprob map per position. */
    static ObjectNode completionLogprobs(List<Completion.Step> steps, int textOffset) {
        ObjectNode logprobs = OpenAiServer.JSON.createObjectNode();
        ArrayNode tokens = logprobs.putArray("tokens");
        ArrayNode values = logprobs.putArray("token_logprobs");
        ArrayNode tops = logprobs.putArray("top_logprobs");
        ArrayNode offsets = logprobs.putArray("text_offset");
        int offset = textOffset;
        for (Completion.Step step : steps) {
            if (step.chosen() == null) {
                continue;
            }
            tokens.add(step.chosen().text());
            values.add(step.chosen().logprob());
            ObjectNode top = OpenAiServer.JSON.createObjectNode();
            for (Completion.TokenLogprob alt : step.top()) {
                top.put(alt.text(), alt.logprob());
            }
            tops.add(top);
            offsets.add(offset);
            offset += step.chosen().text().length();
        }
        return logprobs;
    }
}
