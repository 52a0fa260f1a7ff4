package dev.longlm.api.chat;

import dev.longlm.api.Device;
import dev.longlm.api.FinishReason;
import dev.longlm.api.GenerationOptions;
import dev.longlm.api.GenerationResult;
import dev.longlm.api.LocalModel;
import dev.longlm.api.TokenListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The bundled model has no chat template, so {@link Chat} falls back to the plain format; a reply must be
 * what the model generates after that format written out by hand, up to the end of the line.
 */
class ChatTest {
    private static LocalModel model;

    @BeforeAll
    static void load() {
        model = LocalModel.load(Path.of("models/pd-llama-13m-ctx256-f16.gguf"), Device.cpu(2));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void aReplyIsTheContinuationOfThePlainFormatUpToTheLineEnd() {
        Chat chat = Chat.of(model);
        assertEquals("plain", chat.templateName());
        List<Message> messages = List.of(Message.user("Tell me a story about a dog."));
        assertEquals("User: Tell me a story about a dog.\nAssistant:", chat.render(messages));
        StringBuilder streamed = new StringBuilder();
        GenerationResult reply = chat.reply(messages, GenerationOptions.greedy(48), streamed::append);
        GenerationResult expected = model.generate("User: Tell me a story about a dog.\nAssistant:",
                GenerationOptions.greedy(48), TokenListener.NONE);
        int lineEnd = expected.text().indexOf('\n');
        assertEquals(lineEnd < 0 ? expected.text() : expected.text().substring(0, lineEnd), reply.text());
        assertEquals(reply.text(), streamed.toString());
        assertEquals(lineEnd < 0 ? FinishReason.LENGTH : FinishReason.STOP, reply.finishReason());
    }

    @Test
    void aBuiltInTemplateRendersItsOwnFormat() {
        Chat chat = Chat.of(model, "chatml");
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                chat.render(List.of(Message.system("Be brief."), Message.user("Hi"))));
    }
}
