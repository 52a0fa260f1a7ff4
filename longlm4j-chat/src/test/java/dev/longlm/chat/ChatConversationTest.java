package dev.longlm.chat;

import dev.longlm.attention.PositionScheme;
import dev.longlm.generate.Completion;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.SamplingParameters;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat keeps its KV cache: a second turn appends only its own tokens, and the result equals a fresh evaluation. */
class ChatConversationTest {
    @Test
    void secondTurnAppendsOnlyItsTokensAndMatchesAFreshSession() {
        try (Model model = Model.load(Path.of("models/pd-llama-13m-ctx256-f16.gguf"));
             CpuBackend backend = new CpuBackend(2)) {
            var tokenizer = model.tokenizer();
            ChatTemplate template = BuiltinTemplates.named("plain", "<s>", "</s>");
            ChatConversation chat = new ChatConversation(Session.create(model, backend, PositionScheme.PLAIN, 256), tokenizer, template, Map.of());

            int[] first = chat.addUserMessage("Hello, who are you?");
            String firstPrompt = template.render(chat.messages(), true);
            Completion reply = chat.reply(new Sampler(SamplingParameters.GREEDY, tokenizer.vocabSize()), 8);
            while (reply.next() != null) {
                // generate
            }
            chat.finishReply(reply);
            int afterFirstTurn = chat.session().length();
            assertEquals(first.length + reply.tokens().length, afterFirstTurn, "the reply's tokens are all in the cache");

            int[] second = chat.addUserMessage("Tell me a story.");
            assertEquals(afterFirstTurn + second.length, chat.session().length());
            // Only the new turn's text was tokenized: the rendered text past what the cache held
            // (the first prompt and the reply's tokens as generated).
            String full = template.render(chat.messages(), true);
            java.io.ByteArrayOutputStream replyBytes = new java.io.ByteArrayOutputStream();
            for (int t : reply.tokens()) {
                replyBytes.writeBytes(tokenizer.tokenBytes(t));
            }
            String heldBefore = firstPrompt + replyBytes.toString(java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(full.startsWith(heldBefore), full + " / " + heldBefore);
            assertArrayEquals(tokenizer.encode(full.substring(heldBefore.length()), false, true), second);

            // Logits after the second turn equal a fresh session fed the same tokens in one go.
            int[] all = chat.tokens();
            assertEquals(chat.session().length(), all.length);
            float[] reused = chat.session().decode(tokenizer.encode("Once", false, false)[0]).clone();
            Session fresh = Session.create(model, backend, PositionScheme.PLAIN, 256);
            fresh.append(all);
            float[] expected = fresh.decode(tokenizer.encode("Once", false, false)[0]);
            assertArrayEquals(expected, reused, 1e-5f);
        }
    }
}
