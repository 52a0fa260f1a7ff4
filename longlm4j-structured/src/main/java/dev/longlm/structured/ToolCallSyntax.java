package dev.longlm.structured;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.longlm.chat.ChatMessage;
import dev.longlm.chat.ChatTemplate;
import dev.longlm.chat.ToolCall;
import dev.longlm.generate.constraint.Grammar;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a model family writes function calls, recognised from its chat template, and everything that
 * follows from it: what the template is given ({@code tools}, messages with {@code tool_calls} and
 * {@code role: tool} results — or, for templates that know no tools, the same in a system message and
 * JSON turns), how a reply is split into text and calls, and the grammar that forces a call:
 * <ul>
 *   <li>{@link #LLAMA3_JSON} (Llama 3.1/3.2/3.3): the reply is {@code {"name": …, "parameters": {…}}},
 *       optionally after {@code <|python_tag|>}; one call per message;</li>
 *   <li>{@link #HERMES} (Qwen 2.5, Hermes 2 Pro/3): {@code <tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>}
 *       blocks after optional text;</li>
 *   <li>{@link #MISTRAL} (Mistral Nemo and later): {@code [TOOL_CALLS][{"name": …, "arguments": {…}, "id": …}]},
 *       or the newer {@code [TOOL_CALLS]name[ARGS]{…}};</li>
 *   <li>{@link #GENERIC}: any other template: {@code {"tool_calls": [{"name": …, "arguments": {…}}]}} as the
 *       whole reply, described to the model in a system message.</li>
 * </ul>
 */
public enum ToolCallSyntax {
    LLAMA3_JSON, HERMES, MISTRAL, GENERIC;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HERMES_BLOCK = Pattern.compile("<tool_call>\\s*(.*?)\\s*(?:</tool_call>|$)", Pattern.DOTALL);
    private static final String ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    /** Most calls one forced reply may make when parallel calls are allowed. */
    public static final int MAX_PARALLEL_CALLS = 4;

    /** The messages and extra variables a template renders for a conversation with tools. */
    public record Rendering(List<ChatMessage> messages, Map<String, Object> context) {
    }

    /** A reply split into its text (null when there is none) and its calls. */
    public record Reply(String content, List<ToolCall> calls) {
    }

    /** The syntax of the family whose template this is (by the markers its source writes). */
    public static ToolCallSyntax of(ChatTemplate template) {
        String source = template.source();
        if (source.contains("[TOOL_CALLS]")) {
            return MISTRAL;
        }
        if (source.contains("<tool_call>")) {
            return HERMES;
        }
        if (source.contains("<|python_tag|>") || source.contains("ipython") && source.contains("\"parameters\"")) {
            return LLAMA3_JSON;
        }
        return GENERIC;
    }

    /** What the template is given to render {@code messages} with {@code tools} on offer (none: only earlier calls and results). */
    public Rendering prepare(List<ChatMessage> messages, List<ToolDefinition> tools) {
        if (this != GENERIC) {
            Map<String, Object> context = new LinkedHashMap<>();
            if (!tools.isEmpty()) {
                context.put("tools", tools.stream().map(ToolDefinition::templateValue).toList());
            }
            return new Rendering(messages, context);
        }
        List<ChatMessage> out = new ArrayList<>();
        if (!tools.isEmpty()) {
            String instructions = genericInstructions(tools);
            if (!messages.isEmpty() && messages.getFirst().role().equals("system")) {
                out.add(ChatMessage.system(messages.getFirst().content() + "\n\n" + instructions));
                messages = messages.subList(1, messages.size());
            } else {
                out.add(ChatMessage.system(instructions));
            }
        }
        for (ChatMessage m : messages) {
            if (!m.toolCalls().isEmpty()) {
                out.add(ChatMessage.assistant(genericCalls(m.toolCalls())));
            } else if (m.role().equals("tool")) {
                ObjectNode response = JSON.createObjectNode();
                ObjectNode inner = response.putObject("tool_response");
                if (m.name() != null) {
                    inner.put("name", m.name());
                }
                if (m.toolCallId() != null) {
                    inner.put("tool_call_id", m.toolCallId());
                }
                inner.put("content", m.content());
                out.add(ChatMessage.user(compact(response)));
            } else {
                out.add(m);
            }
        }
        return new Rendering(out, Map.of());
    }

    private static String genericInstructions(List<ToolDefinition> tools) {
        StringBuilder text = new StringBuilder("You can call these functions (each with a JSON schema of its arguments):\n");
        for (ToolDefinition tool : tools) {
            ObjectNode t = JSON.createObjectNode().put("name", tool.name());
            if (tool.description() != null) {
                t.put("description", tool.description());
            }
            t.set("parameters", tool.parameters());
            text.append(compact(t)).append('\n');
        }
        return text.append("To call functions, reply with only a JSON object: {\"tool_calls\": [{\"name\": <function name>, "
                + "\"arguments\": <arguments object>}]}. Otherwise reply in plain text.").toString();
    }

    private static String genericCalls(List<ToolCall> calls) {
        ObjectNode reply = JSON.createObjectNode();
        ArrayNode array = reply.putArray("tool_calls");
        for (ToolCall call : calls) {
            ObjectNode c = array.addObject().put("name", call.name());
            c.set("arguments", JSON.valueToTree(call.parsedArguments()));
            if (call.id() != null) {
                c.put("id", call.id());
            }
        }
        return compact(reply);
    }

    /**
     * Splits a reply into text and calls. Text that does not parse as this syntax's calls stays text;
     * calls get ids from {@code ids} where the model wrote none.
     */
    public Reply parse(String text, RandomGenerator ids) {
        return switch (this) {
            case LLAMA3_JSON -> {
                String body = text.strip();
                if (body.startsWith("<|python_tag|>")) {
                    body = body.substring("<|python_tag|>".length()).strip();
                }
                List<ToolCall> calls = new ArrayList<>();
                for (String part : body.startsWith("{") ? body.split("(?<=})\\s*;\\s*(?=\\{)") : new String[0]) {
                    ToolCall call = call(part, "parameters", ids);
                    if (call == null) {
                        calls.clear();
                        break;
                    }
                    calls.add(call);
                }
                yield calls.isEmpty() ? new Reply(text, List.of()) : new Reply(null, calls);
            }
            case HERMES -> {
                int start = text.indexOf("<tool_call>");
                if (start < 0) {
                    yield new Reply(text, List.of());
                }
                List<ToolCall> calls = new ArrayList<>();
                Matcher m = HERMES_BLOCK.matcher(text);
                m.region(start, text.length());
                while (m.find()) {
                    ToolCall call = call(m.group(1), "arguments", ids);
                    if (call == null) {
                        yield new Reply(text, List.of());
                    }
                    calls.add(call);
                }
                yield new Reply(contentBefore(text, start), calls);
            }
            case MISTRAL -> {
                int start = text.indexOf("[TOOL_CALLS]");
                if (start < 0) {
                    yield new Reply(text, List.of());
                }
                List<ToolCall> calls = mistralCalls(text.substring(start), ids);
                yield calls.isEmpty() ? new Reply(text, List.of()) : new Reply(contentBefore(text, start), calls);
            }
            case GENERIC -> {
                JsonNode reply = parseJson(text.strip());
                List<ToolCall> calls = new ArrayList<>();
                if (reply != null && reply.isObject()) {
                    JsonNode list = reply.has("tool_calls") ? reply.get("tool_calls")
                            : reply.has("tool_call") ? JSON.createArrayNode().add(reply.get("tool_call")) : null;
                    for (JsonNode c : list != null && list.isArray() ? list : JSON.createArrayNode()) {
                        ToolCall call = call(c, "arguments", ids);
                        if (call == null) {
                            calls.clear();
                            break;
                        }
                        calls.add(call);
                    }
                    if (calls.isEmpty() && reply.path("response").isTextual()) {
                        yield new Reply(reply.get("response").asText(), List.of());
                    }
                }
                yield calls.isEmpty() ? new Reply(text, List.of()) : new Reply(null, calls);
            }
        };
    }

    private static String contentBefore(String text, int start) {
        String content = text.substring(0, start).strip();
        return content.isEmpty() ? null : content;
    }

    /** {@code [TOOL_CALLS]} followed by a JSON array of calls, or by {@code name[ARGS]{…}} calls. */
    private List<ToolCall> mistralCalls(String text, RandomGenerator ids) {
        List<ToolCall> calls = new ArrayList<>();
        String rest = text;
        while (rest.startsWith("[TOOL_CALLS]")) {
            rest = rest.substring("[TOOL_CALLS]".length()).strip();
            if (rest.startsWith("[")) {
                JsonNode array = firstJson(rest);
                if (array == null || !array.isArray()) {
                    return List.of();
                }
                for (JsonNode c : array) {
                    ToolCall call = call(c, "arguments", ids);
                    if (call == null) {
                        return List.of();
                    }
                    calls.add(call);
                }
                rest = rest.substring(compactLength(rest)).strip();
            } else {
                int args = rest.indexOf("[ARGS]");
                if (args <= 0) {
                    return List.of();
                }
                String name = rest.substring(0, args).strip();
                String tail = rest.substring(args + "[ARGS]".length());
                JsonNode arguments = firstJson(tail);
                if (arguments == null || !arguments.isObject()) {
                    return List.of();
                }
                calls.add(new ToolCall(newId(ids), name, compact(arguments), JSON.convertValue(arguments, Object.class)));
                rest = tail.substring(compactLength(tail)).strip();
            }
        }
        return rest.isEmpty() ? calls : List.of();
    }

    private ToolCall call(String json, String argumentsKey, RandomGenerator ids) {
        JsonNode node = parseJson(json);
        return node == null ? null : call(node, argumentsKey, ids);
    }

    /** {@code {"name": …, "arguments"|"parameters": {…}, "id"?: …}}, or null when it is not one. */
    private ToolCall call(JsonNode node, String argumentsKey, RandomGenerator ids) {
        if (!node.isObject() || !node.path("name").isTextual()) {
            return null;
        }
        JsonNode arguments = node.has(argumentsKey) ? node.get(argumentsKey) : node.has("arguments") ? node.get("arguments")
                : node.get("parameters");
        if (arguments != null && arguments.isTextual()) {
            arguments = parseJson(arguments.asText()); // some models write the arguments as a JSON string
        }
        if (arguments == null) {
            arguments = JSON.createObjectNode();
        }
        if (!arguments.isObject()) {
            return null;
        }
        String id = node.path("id").isTextual() ? node.get("id").asText() : newId(ids);
        return new ToolCall(id, node.get("name").asText(), compact(arguments), JSON.convertValue(arguments, Object.class));
    }

    /**
     * A new call id: 9 letters and digits for Mistral, whose template insists on them; otherwise OpenAI's
     * {@code call_} and 24 of them.
     */
    public String newId(RandomGenerator random) {
        int length = this == MISTRAL ? 9 : 24;
        StringBuilder id = new StringBuilder(this == MISTRAL ? "" : "call_");
        for (int i = 0; i < length; i++) {
            id.append(ALPHANUMERIC.charAt(random.nextInt(ALPHANUMERIC.length())));
        }
        return id.toString();
    }

    /**
     * The grammar of a reply that is only calls: of {@code only} when it is not null, else of any of the
     * tools; several (up to {@link #MAX_PARALLEL_CALLS}) when {@code parallel} and the syntax has a way to.
     */
    public Grammar grammar(List<ToolDefinition> tools, String only, boolean parallel) {
        String argumentsKey = this == LLAMA3_JSON ? "parameters" : "arguments";
        ArrayNode alternatives = JSON.createArrayNode();
        for (ToolDefinition tool : tools) {
            if (only != null && !tool.name().equals(only)) {
                continue;
            }
            ObjectNode call = JSON.createObjectNode().put("type", "object");
            ObjectNode properties = call.putObject("properties");
            properties.putObject("name").put("const", tool.name());
            properties.set(argumentsKey, tool.parameters());
            call.putArray("required").add("name").add(argumentsKey);
            alternatives.add(call);
        }
        JsonNode call = alternatives.size() == 1 ? alternatives.get(0) : JSON.createObjectNode().set("anyOf", alternatives);
        int most = parallel ? MAX_PARALLEL_CALLS : 1;
        return switch (this) {
            case LLAMA3_JSON -> JsonSchemaGrammar.compileFramed("", call, "", "", 1);
            case HERMES -> JsonSchemaGrammar.compileFramed("<tool_call>\n", call, "\n</tool_call>", "\n", most);
            case MISTRAL -> JsonSchemaGrammar.compileFramed("[TOOL_CALLS]", array(call, most), "", "", 1);
            case GENERIC -> {
                ObjectNode reply = JSON.createObjectNode().put("type", "object");
                reply.putObject("properties").set("tool_calls", array(call, most));
                reply.putArray("required").add("tool_calls");
                yield JsonSchemaGrammar.compileFramed("", reply, "", "", 1);
            }
        };
    }

    private static ObjectNode array(JsonNode items, int most) {
        ObjectNode array = JSON.createObjectNode().put("type", "array").put("minItems", 1).put("maxItems", most);
        array.set("items", items);
        return array;
    }

    /**
     * Text that may be where calls begin, so a stream holds it back: Hermes and Mistral mark calls
     * anywhere; Llama 3 and the generic syntax write them as the whole reply, so only a reply that starts
     * with <code>{</code> (or {@code <|python_tag|>}) may be one.
     */
    public boolean callsMayStartAt(String text, int index) {
        return switch (this) {
            case HERMES -> mayStartWith(text, index, "<tool_call>");
            case MISTRAL -> mayStartWith(text, index, "[TOOL_CALLS]");
            case LLAMA3_JSON, GENERIC -> text.substring(0, index).isBlank()
                    && (mayStartWith(text, index, "{") || this == LLAMA3_JSON && mayStartWith(text, index, "<|python_tag|>"));
        };
    }

    /** Whether {@code text} from {@code index} on is a prefix of {@code marker} or starts with it. */
    private static boolean mayStartWith(String text, int index, String marker) {
        String rest = text.substring(index);
        return rest.startsWith(marker) || marker.startsWith(rest);
    }

    private static JsonNode parseJson(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            return node == null || node.isMissingNode() ? null : node;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** The first JSON value at the start of {@code text} (text may follow it). */
    private static JsonNode firstJson(String text) {
        try (var parser = JSON.createParser(text)) {
            return JSON.readTree(parser);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Characters the first JSON value at the start of {@code text} spans. */
    private static int compactLength(String text) {
        try (var parser = JSON.createParser(text)) {
            JSON.readTree(parser);
            return (int) parser.currentLocation().getCharOffset();
        } catch (java.io.IOException e) {
            return text.length();
        }
    }

    private static String compact(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
