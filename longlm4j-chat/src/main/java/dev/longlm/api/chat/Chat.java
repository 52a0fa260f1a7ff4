package dev.longlm.api.chat;

import dev.longlm.api.GenerationOptions;
import dev.longlm.api.GenerationResult;
import dev.longlm.api.LocalModel;
import dev.longlm.api.TokenListener;
import dev.longlm.chat.ChatMessage;
import dev.longlm.chat.ChatTemplate;
import dev.longlm.chat.ChatTemplates;
import dev.longlm.model.Model;
import dev.longlm.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Replies to conversations on one model with one chat template: the template renders the messages, the
 * model continues after the assistant's header, and the template's end-of-turn strings stop it.
 * Stateless and thread-safe.
 */
public final class Chat {
    private final LocalModel model;
    private final ChatTemplate template;

    private Chat(LocalModel model, ChatTemplate template) {
        this.model = model;
        this.template = template;
    }

    /**
     * The model's own template ({@code tokenizer.chat_template}), or a plain "User: …\nAssistant:" format
     * when the file has none ({@link #templateName()} then says {@code plain}).
     */
    public static Chat of(LocalModel model) {
        return of(model, null);
    }

    /** A built-in template by name ({@code chatml}, {@code llama3}, {@code llama2}, {@code phi3}, {@code gemma}, {@code plain}) or a .jinja file. */
    public static Chat of(LocalModel model, String template) {
        Model m = model.model();
        return new Chat(model, ChatTemplates.resolve(m.file().metadata(), m.tokenizer(), template, null));
    }

    /** Where the template came from: {@code gguf}, a built-in name or a file name. */
    public String templateName() {
        return template.name();
    }

    /** The conversation as the model reads it, with the header that opens the assistant's reply. */
    public String render(List<Message> messages) {
        return template.render(messages.stream().map(m -> new ChatMessage(m.role(), m.content())).toList(), true);
    }

    /** The assistant's reply to {@code messages}, streamed to {@code listener}. */
    public GenerationResult reply(List<Message> messages, GenerationOptions options, TokenListener listener) {
        Tokenizer tokenizer = model.model().tokenizer();
        String prompt = render(messages);
        boolean addBos = tokenizer.addBosByDefault() && tokenizer.bosId() >= 0;
        String bos = tokenizer.bosId() >= 0 ? tokenizer.tokenText(tokenizer.bosId()) : "";
        if (addBos && !bos.isEmpty() && prompt.startsWith(bos)) {
            prompt = prompt.substring(bos.length()); // the tokenizer adds BOS itself, as in llama.cpp
        }
        List<String> stop = new ArrayList<>(options.stop());
        stop.addAll(template.stopStrings());
        return model.generate(tokenizer.encode(prompt, addBos, true), options.withStop(stop), listener);
    }
}
