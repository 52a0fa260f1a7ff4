package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.longlm.InputException;
import dev.longlm.Printable;
import dev.longlm.attention.ContextMethod;
import dev.longlm.chat.ChatMessage;
import dev.longlm.chat.ToolCall;
import dev.longlm.structured.ToolChoice;
import dev.longlm.structured.ToolDefinition;
import dev.longlm.generate.SamplingParameters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads the OpenAI request body into a {@link CompletionRequest}, rejecting wrong types and values
 * with 400s that name the field. Fields this server does not implement are ignored, as OpenAI's
 * clients send many of them.
 */
final class RequestParser {
    private RequestParser() {
    }

    static CompletionRequest parse(JsonNode body, boolean chat, String modelId) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest("invalid_body", "the request body must be a JSON object");
        }
        JsonNode model = body.get("model");
        if (model != null && !model.isNull()) {
            if (!model.isTextual()) {
                throw wrongType("model", "a string");
            }
            if (!model.asText().equals(modelId)) {
                throw new ApiException(404, "invalid_request_error", "model_not_found",
                        "the model " + Printable.quoted(model.asText()) + " does not exist; this server serves '" + modelId + "'");
            }
        }
        List<ChatMessage> messages = null;
        String prompt = null;
        if (chat) {
            messages = messages(body.get("messages"));
        } else {
            prompt = prompt(body.get("prompt"));
        }
        float temperature = (float) number(body, "temperature", 1.0, 0, 2);
        float topP = (float) number(body, "top_p", 1.0, Double.MIN_VALUE, 1);
        integer(body, "n", 1, 1, 1); // one choice per request
        int maxTokens = integer(body, body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
                -1, 0, Integer.MAX_VALUE);
        long seed = body.hasNonNull("seed") ? longValue(body, "seed") : ThreadLocalRandom.current().nextLong();
        List<String> stop = stop(body.get("stop"));
        int topLogprobs = logprobs(body, chat);
        boolean stream = bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!streamOptions.isObject()) {
                throw wrongType("stream_options", "an object");
            }
            includeUsage = bool(streamOptions, "include_usage", false);
        }
        JsonNode schema = responseFormat(body.get("response_format"));
        ContextMethod contextMethod = selfExtend(body.get("self_extend"));
        if (body.hasNonNull("context_method")) {
            if (contextMethod != null) {
                throw ApiException.badRequest("invalid_value", "give either 'self_extend' or 'context_method', not both");
            }
            contextMethod = contextMethod(body.get("context_method"));
        }
        SamplingParameters sampling;
        try {
            // OpenAI's sampler: temperature and nucleus only (no top-k, min-p or repetition penalty).
            sampling = new SamplingParameters(temperature, 0, topP, 0f, 1f, 0, seed);
        } catch (InputException e) {
            throw ApiException.badRequest("invalid_value", e.getMessage());
        }
        boolean cachePrompt = bool(body, "cache_prompt", true);
        List<ToolDefinition> tools = chat ? tools(body.get("tools")) : List.of();
        ToolChoice toolChoice = chat ? toolChoice(body.get("tool_choice"), tools) : ToolChoice.NONE;
        boolean parallelToolCalls = bool(body, "parallel_tool_calls", true);
        if (toolChoice.forced() && schema != null) {
            throw ApiException.badRequest("invalid_value", "give either response_format or a tool_choice that forces a call, not both");
        }
        return new CompletionRequest(chat, messages, prompt, sampling, maxTokens, stop, topLogprobs, stream, includeUsage,
                schema, contextMethod, cachePrompt, tools, tools.isEmpty() ? ToolChoice.NONE : toolChoice, parallelToolCalls);
    }

    private static List<ChatMessage> messages(JsonNode node) {
        if (node == null || node.isNull()) {
            throw ApiException.badRequest("missing_field", "'messages' is required");
        }
        if (!node.isArray() || node.isEmpty()) {
            throw wrongType("messages", "a non-empty array of {role, content} objects");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw wrongType(where, "an object");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) {
                throw wrongType(where + ".role", "a string");
            }
            try {
                List<ToolCall> calls = role.asText().equals("assistant") ? toolCalls(m.get("tool_calls"), where + ".tool_calls") : List.of();
                String toolCallId = null;
                if (role.asText().equals("tool")) {
                    JsonNode id = m.get("tool_call_id");
                    if (id != null && !id.isNull() && !id.isTextual()) {
                        throw wrongType(where + ".tool_call_id", "a string");
                    }
                    toolCallId = id == null || id.isNull() ? null : id.asText();
                }
                JsonNode name = m.get("name");
                messages.add(new ChatMessage(role.asText(), content(m.get("content"), where + ".content"), calls, toolCallId,
                        name != null && name.isTextual() ? name.asText() : null));
            } catch (InputException e) {
                throw ApiException.badRequest("invalid_value", where + ": " + e.getMessage());
            }
        }
        return messages;
    }

    private static final java.util.regex.Pattern FUNCTION_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** An assistant message's {@code tool_calls}: {@code [{id, type: "function", function: {name, arguments}}]}. */
    private static List<ToolCall> toolCalls(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw wrongType(where, "an array of {id, type, function: {name, arguments}} objects");
        }
        List<ToolCall> calls = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode call = node.get(i);
            String at = where + "[" + i + "]";
            JsonNode function = call.path("function");
            if (!call.isObject() || !function.path("name").isTextual()) {
                throw wrongType(at, "an object {id, type: \"function\", function: {name, arguments}}");
            }
            JsonNode arguments = function.get("arguments");
            String text = arguments == null || arguments.isNull() ? "{}" : arguments.isTextual() ? arguments.asText() : arguments.toString();
            Object parsed;
            try {
                parsed = OpenAiServer.JSON.readValue(text, Object.class);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw ApiException.badRequest("invalid_value", at + ".function.arguments is not valid JSON");
            }
            calls.add(new ToolCall(call.path("id").isTextual() ? call.get("id").asText() : null, function.get("name").asText(), text, parsed));
        }
        return calls;
    }

    /** {@code tools: [{type: "function", function: {name, description?, parameters?}}]}. */
    private static List<ToolDefinition> tools(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw wrongType("tools", "an array of {type: \"function\", function: {name, description, parameters}} objects");
        }
        List<ToolDefinition> tools = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode tool = node.get(i);
            String at = "tools[" + i + "]";
            if (!tool.isObject() || !"function".equals(tool.path("type").asText("function")) || !tool.path("function").isObject()) {
                throw wrongType(at, "an object {type: \"function\", function: {name, description, parameters}}");
            }
            JsonNode function = tool.get("function");
            String name = function.path("name").asText("");
            if (!FUNCTION_NAME.matcher(name).matches()) {
                throw ApiException.badRequest("invalid_value", at + ".function.name must be 1 to 64 letters, digits, '_' or '-', got "
                        + Printable.quoted(name));
            }
            if (!names.add(name)) {
                throw ApiException.badRequest("invalid_value", at + ": a second function named " + Printable.quoted(name));
            }
            JsonNode parameters = function.get("parameters");
            if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
                throw wrongType(at + ".function.parameters", "a JSON schema object");
            }
            tools.add(new ToolDefinition(name, function.path("description").isTextual() ? function.get("description").asText() : null,
                    parameters == null || parameters.isNull() ? JsonNodeFactory.instance.objectNode().put("type", "object") : parameters));
        }
        return tools;
    }

    /** {@code tool_choice}: "auto", "none", "required" or {@code {type: "function", function: {name}}} naming one of the tools. */
    private static ToolChoice toolChoice(JsonNode node, List<ToolDefinition> tools) {
        if (node == null || node.isNull()) {
            return ToolChoice.AUTO;
        }
        if (node.isTextual()) {
            return switch (node.asText()) {
                case "auto" -> ToolChoice.AUTO;
                case "none" -> ToolChoice.NONE;
                case "required" -> {
                    if (tools.isEmpty()) {
                        throw ApiException.badRequest("invalid_value", "tool_choice 'required' needs 'tools'");
                    }
                    yield ToolChoice.REQUIRED;
                }
                default -> throw ApiException.badRequest("invalid_value", "tool_choice must be 'auto', 'none', 'required' or"
                        + " {\"type\": \"function\", \"function\": {\"name\": …}}, got " + Printable.quoted(node.asText()));
            };
        }
        String name = node.path("function").path("name").asText(null);
        if (!node.isObject() || name == null) {
            throw wrongType("tool_choice", "'auto', 'none', 'required' or {\"type\": \"function\", \"function\": {\"name\": …}}");
        }
        if (tools.stream().noneMatch(t -> t.name().equals(name))) {
            throw ApiException.badRequest("invalid_value", "tool_choice names " + Printable.quoted(name) + ", which is not among 'tools'");
        }
        return ToolChoice.named(name);
    }

    /** A string, or OpenAI's array of content parts of which only text parts are supported. */
    private static String content(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return "";
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : node) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.badRequest("invalid_value", where + ": only {\"type\": \"text\", \"text\": ...} parts are supported");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw wrongType(where, "a string or an array of text parts");
    }

    private static String prompt(JsonNode node) {
        if (node == null || node.isNull()) {
            throw ApiException.badRequest("missing_field", "'prompt' is required");
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isArray() && node.size() == 1 && node.get(0).isTextual()) {
            return node.get(0).asText();
        }
        throw wrongType("prompt", "a string (one prompt per request)");
    }

    private static List<String> stop(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (node.isTextual()) {
            return List.of(node.asText());
        }
        if (node.isArray() && node.size() <= 4) {
            List<String> stops = new ArrayList<>();
            for (JsonNode s : node) {
                if (!s.isTextual()) {
                    throw wrongType("stop", "a string or an array of up to 4 strings");
                }
                stops.add(s.asText());
            }
            return stops;
        }
        throw wrongType("stop", "a string or an array of up to 4 strings");
    }

    /** Chat: {@code logprobs: true} + {@code top_logprobs: 0..20}; completions: {@code logprobs: 0..5}. */
    private static int logprobs(JsonNode body, boolean chat) {
        if (chat) {
            if (!bool(body, "logprobs", false)) {
                if (body.hasNonNull("top_logprobs")) {
                    throw ApiException.badRequest("invalid_value", "'top_logprobs' needs 'logprobs': true");
                }
                return -1;
            }
            return integer(body, "top_logprobs", 0, 0, 20);
        }
        return body.hasNonNull("logprobs") ? integer(body, "logprobs", 0, 0, 5) : -1;
    }

    private static JsonNode responseFormat(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject() || !node.path("type").isTextual()) {
            throw wrongType("response_format", "an object with a 'type'");
        }
        return switch (node.get("type").asText()) {
            case "text" -> null;
            // Any JSON object (the empty schema would allow any value: numbers, strings).
            case "json_object" -> JsonNodeFactory.instance.objectNode().put("type", "object");
            case "json_schema" -> {
                JsonNode wrapper = node.get("json_schema");
                if (wrapper == null || !wrapper.isObject() || !wrapper.path("schema").isObject()) {
                    throw wrongType("response_format.json_schema", "an object with a 'schema' object");
                }
                yield wrapper.get("schema");
            }
            default -> throw ApiException.badRequest("invalid_value",
                    "response_format.type must be 'text', 'json_object' or 'json_schema', got " + Printable.quoted(node.get("type").asText()));
        };
    }

    private static ContextMethod selfExtend(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw wrongType("self_extend", "an object {group_size, window}");
        }
        int group = integer(node, "group_size", 1, 1, 1 << 16);
        int window = integer(node, "window", 0, 0, Integer.MAX_VALUE);
        try {
            return ContextMethod.selfExtend(group, window);
        } catch (InputException e) {
            throw ApiException.badRequest("invalid_value", "self_extend: " + e.getMessage());
        }
    }

    /**
     * {@code context_method: {"method": "dca", "chunk_size": s, "local_window": w}},
     * {@code {"method": "rerope", "window": w}} or {@code {"method": "leaky-rerope", "window": w, "leak": k}}: the
     * keys of the method's settings in result files, every parameter given.
     */
    private static ContextMethod contextMethod(JsonNode node) {
        if (!node.isObject() || !node.path("method").isTextual()) {
            throw wrongType("context_method", "an object {method, …} with method dca, rerope or leaky-rerope");
        }
        String name = node.get("method").asText();
        try {
            return switch (name) {
                case "dca" -> ContextMethod.dualChunk(required(node, "chunk_size"), required(node, "local_window"));
                case "rerope" -> ContextMethod.rerope(required(node, "window"));
                case "leaky-rerope" -> {
                    if (!node.path("leak").isNumber()) {
                        throw wrongType("context_method.leak", "a number");
                    }
                    yield ContextMethod.leakyRerope(required(node, "window"), node.get("leak").asDouble());
                }
                default -> throw ApiException.badRequest("invalid_value",
                        "context_method.method must be 'dca', 'rerope' or 'leaky-rerope' (Self-Extend: 'self_extend'), got '" + name + "'");
            };
        } catch (InputException e) {
            throw ApiException.badRequest("invalid_value", "context_method: " + e.getMessage());
        }
    }

    private static int required(JsonNode node, String field) {
        if (!node.hasNonNull(field)) {
            throw ApiException.badRequest("invalid_value", "context_method." + field + " is required");
        }
        return integer(node, field, 0, 1, Integer.MAX_VALUE);
    }

    private static double number(JsonNode body, String field, double fallback, double min, double max) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isNumber()) {
            throw wrongType(field, "a number");
        }
        double v = node.asDouble();
        if (!(v >= min && v <= max)) {
            throw ApiException.badRequest("invalid_value", "'" + field + "' must be between " + (min == Double.MIN_VALUE ? "0 (exclusive)" : fmt(min))
                    + " and " + fmt(max) + ", got " + node);
        }
        return v;
    }

    private static int integer(JsonNode body, String field, int fallback, int min, int max) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw wrongType(field, "an integer");
        }
        int v = node.asInt();
        if (v < min || v > max) {
            throw ApiException.badRequest("invalid_value", "'" + field + "' must be " + (min == max ? "exactly " + min
                    : "between " + min + " and " + max) + ", got " + v);
        }
        return v;
    }

    private static long longValue(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw wrongType(field, "an integer");
        }
        return node.asLong();
    }

    private static boolean bool(JsonNode body, String field, boolean fallback) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw wrongType(field, "a boolean");
        }
        return node.asBoolean();
    }

    private static ApiException wrongType(String field, String expected) {
        return ApiException.badRequest("invalid_type", "'" + field + "' must be " + expected);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
