package dev.longlm.chat;

import dev.longlm.InputException;
import dev.longlm.Printable;
import dev.longlm.gguf.GgufMetadata;
import dev.longlm.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Chooses a model's chat template: an explicit file or built-in name, the GGUF's own, or the plain fallback. */
public final class ChatTemplates {
    public static final String GGUF_KEY = "tokenizer.chat_template";

    private ChatTemplates() {
    }

    /**
     * @param override a .jinja file or a built-in name ({@link BuiltinTemplates#names()}); null for the file's own
     * @param log      where the plain-format fallback is announced (once per call)
     */
    public static ChatTemplate resolve(GgufMetadata metadata, Tokenizer tokenizer, String override, PrintStream log) {
        return checked(choose(metadata, tokenizer, override, log));
    }

    /**
     * Renders a one-message conversation once, so that a template that cannot render at all stops
     * the program at start-up instead of failing every later request as the client's fault.
     */
    static ChatTemplate checked(ChatTemplate template) {
        String problem;
        try {
            String probe = "Hello, how are you?";
            // jinjava drops what it cannot evaluate (an unknown filter) silently: a prompt without the
            // message's text is as broken as an error.
            problem = template.render(List.of(ChatMessage.user(probe)), true).contains(probe) ? null
                    : "the output does not contain the message";
        } catch (InputException e) {
            problem = e.getMessage();
        }
        if (problem != null) {
            throw new InputException("chat template " + Printable.quoted(template.name()) + " cannot render a one-message conversation ("
                    + Printable.escaped(problem, 200) + "); fix it or choose a built-in one with --chat-template "
                    + String.join("|", BuiltinTemplates.names()));
        }
        return template;
    }

    private static ChatTemplate choose(GgufMetadata metadata, Tokenizer tokenizer, String override, PrintStream log) {
        String bos = tokenizer.bosId() >= 0 ? tokenizer.tokenText(tokenizer.bosId()) : "";
        String eos = tokenizer.eosId() >= 0 ? tokenizer.tokenText(tokenizer.eosId()) : "";
        if (override != null) {
            Path file = Path.of(override);
            if (Files.isRegularFile(file)) {
                return new JinjaChatTemplate(file.getFileName().toString(), read(file), bos, eos);
            }
            if (!BuiltinTemplates.exists(override)) {
                throw new InputException("--chat-template " + Printable.quoted(override) + " is neither a file nor a built-in name ("
                        + String.join(", ", BuiltinTemplates.names()) + ")");
            }
            return BuiltinTemplates.named(override, bos, eos);
        }
        String source = metadata.getString(GGUF_KEY, null);
        if (source != null && !source.isBlank()) {
            return new JinjaChatTemplate("gguf", source, bos, eos);
        }
        if (log != null) {
            log.println("longlm: the model has no chat template (" + GGUF_KEY + "); using a plain \"User: …\\nAssistant:\" format"
                    + " (choose one with --chat-template " + String.join("|", BuiltinTemplates.names()) + "|FILE)");
        }
        return BuiltinTemplates.named("plain", bos, eos);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read chat template: " + e.getMessage());
        }
    }
}
