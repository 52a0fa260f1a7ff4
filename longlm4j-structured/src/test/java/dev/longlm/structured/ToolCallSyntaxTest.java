package dev.longlm.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.chat.ChatMessage;
import dev.longlm.chat.ToolCall;
import dev.longlm.generate.constraint.Grammar;
import dev.longlm.generate.constraint.GrammarState;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each syntax's parser on the model outputs of llama.cpp's tests/test-chat.cpp (the special_function
 * cases for the Hermes 2 Pro / Qwen 2.5, Mistral Nemo and Mistral Small templates, commit de3ff81), and the
 * grammars of forced calls: they accept exactly a call of the right function with schema-valid arguments.
 */
class ToolCallSyntaxTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Random IDS = new Random(1);

    private static void assertCall(ToolCall call, String name, String arguments) throws Exception {
        assertEquals(name, call.name());
        assertEquals(JSON.readTree(arguments), JSON.readTree(call.arguments()));
        assertEquals(JSON.readTree(arguments), JSON.valueToTree(call.parsedArguments()));
    }

    @Test
    void hermesBlocks() throws Exception {
        // test-chat.cpp: "<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}</tool_call>" → message_assist_call
        var reply = ToolCallSyntax.HERMES.parse("<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}</tool_call>", IDS);
        assertNull(reply.content());
        assertEquals(1, reply.calls().size());
        assertCall(reply.calls().getFirst(), "special_function", "{\"arg1\": 1}");
        // … with content before the call → message_assist_call_content
        reply = ToolCallSyntax.HERMES.parse("Hello, world!\nWhat's up?<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}"
                + "</tool_call>", IDS);
        assertEquals("Hello, world!\nWhat's up?", reply.content());
        assertCall(reply.calls().getFirst(), "special_function", "{\"arg1\": 1}");
        // Reka Edge / Qwen: two calls, newline-separated
        reply = ToolCallSyntax.HERMES.parse("<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"special_function_with_opt\", \"arguments\": {\"arg1\": 1, \"arg2\": 2}}\n</tool_call>", IDS);
        assertEquals(2, reply.calls().size());
        assertCall(reply.calls().get(1), "special_function_with_opt", "{\"arg1\": 1, \"arg2\": 2}");
        // plain content stays content
        reply = ToolCallSyntax.HERMES.parse("Hello, world!\nWhat's up?", IDS);
        assertEquals("Hello, world!\nWhat's up?", reply.content());
        assertTrue(reply.calls().isEmpty());
        // a block that is not a call is text, not a half-parsed call
        reply = ToolCallSyntax.HERMES.parse("<tool_call>\nnot json\n</tool_call>", IDS);
        assertTrue(reply.calls().isEmpty());
        assertEquals("<tool_call>\nnot json\n</tool_call>", reply.content());
    }

    @Test
    void mistralBothForms() throws Exception {
        // Mistral Nemo: "[TOOL_CALLS][{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}, \"id\": \"123456789\"}]" → message_assist_call_id
        var reply = ToolCallSyntax.MISTRAL.parse("[TOOL_CALLS][{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}, \"id\": \"123456789\"}]", IDS);
        assertEquals(1, reply.calls().size());
        assertCall(reply.calls().getFirst(), "special_function", "{\"arg1\": 1}");
        assertEquals("123456789", reply.calls().getFirst().id());
        // Mistral Small 3.2 / Ministral: "[TOOL_CALLS]special_function[ARGS]{\"arg1\":1}", and two calls in a row
        reply = ToolCallSyntax.MISTRAL.parse("[TOOL_CALLS]special_function[ARGS]{\"arg1\": 1}"
                + "[TOOL_CALLS]special_function_with_opt[ARGS]{\"arg1\": 1, \"arg2\": 2}", IDS);
        assertEquals(2, reply.calls().size());
        assertCall(reply.calls().get(0), "special_function", "{\"arg1\": 1}");
        assertCall(reply.calls().get(1), "special_function_with_opt", "{\"arg1\": 1, \"arg2\": 2}");
        assertTrue(reply.calls().getFirst().id().matches("[A-Za-z0-9]{9}"), "Mistral's templates insist on 9-character ids");
        assertEquals("Hello", ToolCallSyntax.MISTRAL.parse("Hello", IDS).content());
    }

    @Test
    void llamaJsonAndGeneric() throws Exception {
        var reply = ToolCallSyntax.LLAMA3_JSON.parse("{\"name\": \"special_function\", \"parameters\": {\"arg1\": 1}}", IDS);
        assertEquals(1, reply.calls().size());
        assertCall(reply.calls().getFirst(), "special_function", "{\"arg1\": 1}");
        reply = ToolCallSyntax.LLAMA3_JSON.parse("<|python_tag|>{\"name\": \"special_function\", \"parameters\": {\"arg1\": 1}}", IDS);
        assertCall(reply.calls().getFirst(), "special_function", "{\"arg1\": 1}");
        assertTrue(reply.calls().getFirst().id().startsWith("call_"));
        assertEquals("{\"answer\": 42}", ToolCallSyntax.LLAMA3_JSON.parse("{\"answer\": 42}", IDS).content(), "JSON that is no call is text");
        assertEquals("Hello, world!", ToolCallSyntax.LLAMA3_JSON.parse("Hello, world!", IDS).content());

        reply = ToolCallSyntax.GENERIC.parse("{\"tool_calls\": [{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}]}", IDS);
        assertCall(reply.calls().getFirst(), "special_function", "{\"arg1\": 1}");
        reply = ToolCallSyntax.GENERIC.parse("{\"tool_call\": {\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}}", IDS);
        assertCall(reply.calls().getFirst(), "special_function", "{\"arg1\": 1}");
        assertEquals("Hello", ToolCallSyntax.GENERIC.parse("{\"response\": \"Hello\"}", IDS).content());
    }

    private static final List<ToolDefinition> TOOLS = List.of(
            new ToolDefinition("get_weather", "weather", JSON.valueToTree(Map.of("type", "object",
                    "properties", Map.of("location", Map.of("type", "string")), "required", List.of("location")))),
            new ToolDefinition("get_time", null, JSON.valueToTree(Map.of("type", "object"))));

    private static boolean accepts(Grammar grammar, String text) {
        GrammarState state = GrammarState.start(grammar).advance(text);
        return state != null && state.accepting();
    }

    @Test
    void forcedCallGrammarsAcceptExactlyTheirCalls() {
        Grammar hermes = ToolCallSyntax.HERMES.grammar(TOOLS, "get_weather", true);
        assertTrue(accepts(hermes, "<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"location\":\"Paris\"}}\n</tool_call>"));
        assertTrue(accepts(hermes, "<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"location\":\"Paris\"}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"location\":\"Rome\"}}\n</tool_call>"));
        assertTrue(!accepts(hermes, "<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>"), "only the named function");
        assertTrue(!accepts(hermes, "<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{}}\n</tool_call>"), "required argument");
        assertTrue(!accepts(ToolCallSyntax.HERMES.grammar(TOOLS, null, false),
                "<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>\n<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>"),
                "one call without parallel calls");
        assertTrue(accepts(ToolCallSyntax.HERMES.grammar(TOOLS, null, false), "<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>"));

        assertTrue(accepts(ToolCallSyntax.LLAMA3_JSON.grammar(TOOLS, null, true), "{\"name\":\"get_weather\",\"parameters\":{\"location\":\"Paris\"}}"));
        assertTrue(accepts(ToolCallSyntax.MISTRAL.grammar(TOOLS, null, true),
                "[TOOL_CALLS][{\"name\":\"get_weather\",\"arguments\":{\"location\":\"Paris\"}},{\"name\":\"get_time\",\"arguments\":{}}]"));
        Grammar generic = ToolCallSyntax.GENERIC.grammar(TOOLS, "get_time", false);
        assertTrue(accepts(generic, "{\"tool_calls\":[{\"name\":\"get_time\",\"arguments\":{}}]}"));
        assertTrue(!accepts(generic, "{\"tool_calls\":[]}"), "at least one call");
    }

    @Test
    void whatEachSyntaxParsesIsWhatItsGrammarWrites() throws Exception {
        for (ToolCallSyntax syntax : ToolCallSyntax.values()) {
            String text = switch (syntax) {
                case LLAMA3_JSON -> "{\"name\":\"get_weather\",\"parameters\":{\"location\":\"Paris\"}}";
                case HERMES -> "<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"location\":\"Paris\"}}\n</tool_call>";
                case MISTRAL -> "[TOOL_CALLS][{\"name\":\"get_weather\",\"arguments\":{\"location\":\"Paris\"}}]";
                case GENERIC -> "{\"tool_calls\":[{\"name\":\"get_weather\",\"arguments\":{\"location\":\"Paris\"}}]}";
            };
            assertTrue(accepts(syntax.grammar(TOOLS, "get_weather", false), text), syntax.name());
            var reply = syntax.parse(text, IDS);
            assertEquals(1, reply.calls().size(), syntax.name());
            assertCall(reply.calls().getFirst(), "get_weather", "{\"location\": \"Paris\"}");
        }
    }

    @Test
    void genericRenderingDescribesTheToolsAndTurnsCallsIntoJson() throws Exception {
        ToolCall call = new ToolCall("call_1", "get_weather", "{\"location\":\"Paris\"}", Map.of("location", "Paris"));
        var rendering = ToolCallSyntax.GENERIC.prepare(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Weather?"),
                new ChatMessage("assistant", "", List.of(call), null, null), new ChatMessage("tool", "21 C", List.of(), "call_1", "get_weather")),
                TOOLS);
        List<ChatMessage> m = rendering.messages();
        assertEquals(4, m.size());
        assertTrue(m.get(0).content().startsWith("Be brief.\n\nYou can call these functions"), m.get(0).content());
        assertTrue(m.get(0).content().contains("{\"name\":\"get_weather\",\"description\":\"weather\",\"parameters\":"));
        JsonNode calls = JSON.readTree(m.get(2).content());
        assertEquals("get_weather", calls.at("/tool_calls/0/name").asText());
        assertEquals("Paris", calls.at("/tool_calls/0/arguments/location").asText());
        assertEquals("user", m.get(3).role());
        assertEquals("21 C", JSON.readTree(m.get(3).content()).at("/tool_response/content").asText());
        assertNotNull(ToolCallSyntax.HERMES.prepare(List.of(ChatMessage.user("x")), TOOLS).context().get("tools"));
    }
}
