package dev.longlm.chat;

import java.util.List;
import java.util.Map;

/** Turns a conversation into the prompt text a model was trained on. Implementations are thread-safe. */
public interface ChatTemplate {
    /**
     * Renders {@code messages}; {@code addGenerationPrompt} appends the header that opens the
     * assistant's reply. {@code extraContext} adds template variables (e.g. {@code date_string}).
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extraContext);

    default String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /** Where the template came from, for logs: "gguf", a built-in name, a file, or "plain". */
    String name();

    /** The template's Jinja source (tool-call syntax is recognised from it); empty when there is none. */
    default String source() {
        return "";
    }

    /** Strings that end the assistant's turn when the model writes them as text rather than as a control token. */
    default List<String> stopStrings() {
        return List.of();
    }
}
