package dev.longlm.chat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.longlm.InputException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzz targets for the chat-template renderer. {@link #messages}: any conversation (roles, text,
 * template markup inside the text) through the real templates a server uses — the built-ins and
 * two published Jinja templates — which render or reject the conversation with an
 * {@link InputException}. {@link #templateSource}: any template text (a GGUF file's or a
 * {@code --chat-template} file's), which renders or fails with an InputException.
 */
class ChatTemplateFuzzTest {
    private static final List<String> ROLES = List.copyOf(new java.util.TreeSet<>(ChatMessage.ROLES));
    private static final List<ChatTemplate> TEMPLATES = templates();

    private static List<ChatTemplate> templates() {
        List<ChatTemplate> all = new ArrayList<>();
        for (String name : BuiltinTemplates.names()) {
            all.add(BuiltinTemplates.named(name, "<s>", "</s>"));
        }
        for (String file : List.of("Qwen-Qwen2.5-7B-Instruct.jinja", "meta-llama-Llama-3.1-8B-Instruct.jinja")) {
            try {
                all.add(new JinjaChatTemplate(file, Files.readString(Path.of("src/test/resources/golden/chat", file)), "<s>", "</s>"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return List.copyOf(all);
    }

    @FuzzTest(maxDuration = "10m")
    void messages(FuzzedDataProvider data) {
        ChatTemplate template = TEMPLATES.get(data.consumeInt(0, TEMPLATES.size() - 1));
        boolean generationPrompt = data.consumeBoolean();
        List<ChatMessage> messages = new ArrayList<>();
        for (int n = data.consumeInt(1, 6); n > 0; n--) {
            messages.add(new ChatMessage(ROLES.get(data.consumeInt(0, ROLES.size() - 1)), data.consumeString(300)));
        }
        try {
            template.render(messages, generationPrompt);
        } catch (InputException expected) {
            // e.g. a template that requires alternating roles rejects the conversation
        }
    }

    @FuzzTest(maxDuration = "10m")
    void templateSource(FuzzedDataProvider data) {
        String source = data.consumeString(2000);
        String content = data.consumeRemainingAsString();
        try {
            ChatTemplates.checked(new JinjaChatTemplate("fuzz", source, "<s>", "</s>"))
                    .render(List.of(ChatMessage.system("s"), ChatMessage.user(content)), true);
        } catch (InputException expected) {
            // refused at start-up, or the conversation was rejected
        }
    }
}
