package dev.longlm.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our Jinja rendering of the models' own chat templates equals llama.cpp's, character for
 * character (fixtures from tools/golden/chat/make-chat-fixtures.sh).
 */
class ChatTemplateGoldenTest {
    private static final Path DIR = Path.of("src/test/resources/golden/chat");

    @ParameterizedTest
    @CsvSource({"Qwen-Qwen2.5-7B-Instruct.jinja, qwen2.5-chatml.json", "meta-llama-Llama-3.1-8B-Instruct.jinja, llama3.1.json"})
    void rendersLikeLlamaCpp(String templateFile, String fixtureFile) throws IOException {
        JsonNode fixture = new ObjectMapper().readTree(DIR.resolve(fixtureFile).toFile());
        String source = Files.readString(DIR.resolve(templateFile), StandardCharsets.UTF_8);
        ChatTemplate template = new JinjaChatTemplate(templateFile, source, fixture.get("bos_token").asText(), fixture.get("eos_token").asText());
        int cases = 0;
        for (JsonNode c : fixture.get("cases")) {
            List<ChatMessage> messages = new ArrayList<>();
            for (JsonNode m : c.get("messages")) {
                messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
            }
            String rendered = template.render(messages, c.get("add_generation_prompt").asBoolean(),
                    Map.of("date_string", c.get("date_string").asText()));
            assertEquals(c.get("prompt").asText(), rendered, "case " + cases + " of " + fixtureFile);
            cases++;
        }
        assertEquals(8, cases);
    }

    /** Each family's published format: what the prompt must end with after a user turn. */
    private static final Map<String, String> GENERATION_SUFFIX = Map.of(
            "chatml", "<|im_start|>user\nAgain<|im_end|>\n<|im_start|>assistant\n",
            "llama3", "<|start_header_id|>user<|end_header_id|>\n\nAgain<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            "llama2", " Pong. </s><s>[INST] Again [/INST]",
            "phi3", "<|user|>\nAgain<|end|>\n<|assistant|>\n",
            "gemma", "<start_of_turn>model\nPong.<end_of_turn>\n<start_of_turn>user\nAgain<end_of_turn>\n<start_of_turn>model\n",
            "plain", "User: Ping?\nAssistant: Pong.\nUser: Again\nAssistant:");

    @ParameterizedTest
    @CsvSource({"chatml", "llama3", "llama2", "phi3", "gemma", "plain"})
    void builtInTemplatesRenderAConversation(String name) {
        ChatTemplate template = BuiltinTemplates.named(name, "<s>", "</s>");
        String prompt = template.render(List.of(ChatMessage.user("Ping?"), ChatMessage.assistant("Pong."), ChatMessage.user("Again")), true);
        assertTrue(prompt.contains("Ping?") && prompt.contains("Pong.") && prompt.endsWith(GENERATION_SUFFIX.get(name)),
                name + " rendered: " + prompt);
    }
}
