package dev.longlm.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.chat.ChatMessage;
import dev.longlm.chat.ChatTemplate;
import dev.longlm.chat.JinjaChatTemplate;
import dev.longlm.chat.ToolCall;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tool calling against llama.cpp's own chat code (fixtures from tools/golden/tools/make-tool-fixtures.sh,
 * llama.cpp de3ff81): each family's template renders conversations with tools, an assistant's call and
 * the tool's result character for character as llama.cpp renders them, and each family's replies parse
 * into the calls llama.cpp's parser finds.
 */
class ToolCallFixtureTest {
    private static final Path DIR = Path.of("src/test/resources/golden/tools");
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @CsvSource({"Qwen-Qwen2.5-7B-Instruct.jinja, qwen2.5, HERMES", "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja, hermes2pro, HERMES",
            "meta-llama-Llama-3.1-8B-Instruct.jinja, llama3.1, LLAMA3_JSON", "meta-llama-Llama-3.2-3B-Instruct.jinja, llama3.2, LLAMA3_JSON",
            "mistralai-Mistral-Nemo-Instruct-2407.jinja, mistral-nemo, MISTRAL"})
    void rendersAndParsesLikeLlamaCpp(String templateFile, String fixtureName, ToolCallSyntax expected) throws IOException {
        JsonNode fixture = JSON.readTree(DIR.resolve(fixtureName + ".json").toFile());
        String source = Files.readString(DIR.resolve(templateFile), StandardCharsets.UTF_8);
        ChatTemplate template = new JinjaChatTemplate(templateFile, source, fixture.get("bos_token").asText(), fixture.get("eos_token").asText());
        ToolCallSyntax syntax = ToolCallSyntax.of(template);
        assertEquals(expected, syntax);
        List<ToolDefinition> tools = new ArrayList<>();
        for (JsonNode t : fixture.get("tools")) {
            JsonNode f = t.get("function");
            tools.add(new ToolDefinition(f.get("name").asText(), f.get("description").asText(), f.get("parameters")));
        }
        int rendered = 0;
        for (JsonNode c : fixture.get("cases")) {
            if (c.has("error")) {
                continue; // llama.cpp refused the conversation too (a template's own check)
            }
            ToolCallSyntax.Rendering rendering = syntax.prepare(messages(c.get("messages")), tools);
            Map<String, Object> context = new HashMap<>(rendering.context());
            context.put("date_string", c.get("date_string").asText());
            String prompt = template.render(rendering.messages(), c.get("add_generation_prompt").asBoolean(), context);
            String expectedPrompt = c.get("prompt").asText();
            int at = java.util.stream.IntStream.range(0, Math.min(expectedPrompt.length(), prompt.length()))
                    .filter(i -> expectedPrompt.charAt(i) != prompt.charAt(i)).findFirst().orElse(Math.min(expectedPrompt.length(), prompt.length()));
            assertEquals(expectedPrompt, prompt, "case " + rendered + " of " + fixtureName + ", first difference at " + at + ": expected "
                    + expectedPrompt.substring(at, Math.min(at + 80, expectedPrompt.length()))
                    + " but was " + prompt.substring(at, Math.min(at + 80, prompt.length())));
            rendered++;
        }
        assertTrue(rendered >= 3, rendered + " cases rendered");
        for (JsonNode p : fixture.get("parses")) {
            JsonNode message = p.get("message");
            var reply = syntax.parse(p.get("output").asText(), new Random(1));
            JsonNode calls = message.path("tool_calls");
            assertEquals(calls.size(), reply.calls().size(), p.get("output").asText());
            if (calls.isEmpty()) {
                assertEquals(message.get("content").asText(), reply.content());
                continue;
            }
            String content = message.get("content").asText();
            if (content.isEmpty()) {
                assertNull(reply.content());
            } else {
                assertEquals(content.strip(), reply.content());
            }
            for (int i = 0; i < calls.size(); i++) {
                ToolCall call = reply.calls().get(i);
                assertEquals(calls.get(i).get("name").asText(), call.name());
                assertEquals(JSON.readTree(calls.get(i).get("arguments").asText()), JSON.readTree(call.arguments()));
                if (!calls.get(i).get("id").asText().isEmpty()) {
                    assertEquals(calls.get(i).get("id").asText(), call.id());
                }
            }
        }
    }

    private static List<ChatMessage> messages(JsonNode array) throws IOException {
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : array) {
            List<ToolCall> calls = new ArrayList<>();
            for (JsonNode c : m.path("tool_calls")) {
                String arguments = c.get("arguments").asText();
                calls.add(new ToolCall(c.get("id").asText(), c.get("name").asText(), arguments, JSON.readValue(arguments, Object.class)));
            }
            messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText(), calls,
                    m.has("tool_call_id") ? m.get("tool_call_id").asText() : null, m.has("name") ? m.get("name").asText() : null));
        }
        return messages;
    }
}
