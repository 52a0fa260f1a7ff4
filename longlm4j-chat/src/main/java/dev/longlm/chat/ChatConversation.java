package dev.longlm.chat;

import dev.longlm.generate.Completion;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.Session;
import dev.longlm.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A multi-turn conversation on one KV cache. Each user turn renders the whole conversation with the
 * chat template and appends to the session only the text past what the session already holds (the
 * previous reply's end-of-turn markup, the new message, the assistant header), so earlier turns are
 * never recomputed. Should a template re-render history differently (some drop old reasoning), or the
 * session come from a prompt cache, the prompt is tokenized whole and only what follows the tokens it
 * shares with the session is evaluated.
 */
public final class ChatConversation {
    private final Session session;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final Map<String, Object> extraContext;
    private final List<ChatMessage> messages = new ArrayList<>();
    private final boolean addBos;
    private final String bosText;
    private int[] history = new int[0];
    private String sessionText = "";
    private float[] logits;

    /** A conversation on {@code session}, which may hold tokens already (a prompt cache): a first turn reuses what it shares. */
    public ChatConversation(Session session, Tokenizer tokenizer, ChatTemplate template, Map<String, Object> extraContext) {
        this.session = session;
        this.tokenizer = tokenizer;
        this.template = template;
        this.extraContext = extraContext;
        this.addBos = tokenizer.addBosByDefault() && tokenizer.bosId() >= 0;
        this.bosText = tokenizer.bosId() >= 0 ? tokenizer.tokenText(tokenizer.bosId()) : "";
        this.history = session.tokens();
    }

    /** Adds a message without generating (e.g. a system prompt); it reaches the session with the next user turn. */
    public void addMessage(ChatMessage message) {
        messages.add(message);
    }

    /**
     * Adds the user's message and appends the new prompt text to the session.
     *
     * @return the tokens appended (the whole conversation if the history had to be re-evaluated)
     */
    public int[] addUserMessage(String content) {
        messages.add(ChatMessage.user(content));
        String prompt = template.render(messages, true, extraContext);
        if (addBos && !bosText.isEmpty() && prompt.startsWith(bosText)) {
            prompt = prompt.substring(bosText.length()); // the tokenizer adds BOS itself, as in llama.cpp
        }
        int[] tokens;
        if (!sessionText.isEmpty() && prompt.startsWith(sessionText)) {
            tokens = tokenizer.encode(prompt.substring(sessionText.length()), false, true);
        } else {
            // Re-rendered differently, or a session restored from a prompt cache: keep the tokens the whole
            // prompt shares with the session, compute the rest.
            int[] all = tokenizer.encode(prompt, addBos, true);
            int keep = session.cachedTokens().reusable(session.schemeKey(), all);
            session.rewind(keep);
            history = Arrays.copyOf(all, keep);
            tokens = Arrays.copyOfRange(all, keep, all.length);
        }
        logits = session.append(tokens, 0, tokens.length, null);
        appendHistory(tokens);
        sessionText = prompt;
        return tokens;
    }

    /** Starts the assistant's reply after {@link #addUserMessage}. */
    public Completion reply(Sampler sampler, int maxTokens) {
        for (int t : history) {
            sampler.accept(t);
        }
        return new Completion(session, tokenizer, sampler, logits,
                new Completion.Options(maxTokens, template.stopStrings(), -1, null), null);
    }

    /** Records a finished reply: its last token enters the session and its text the conversation. */
    public void finishReply(Completion reply) {
        reply.commitLastToken();
        int[] generated = reply.tokens();
        appendHistory(generated);
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (int t : generated) {
            raw.writeBytes(tokenizer.tokenBytes(t));
        }
        sessionText += raw.toString(StandardCharsets.UTF_8);
        messages.add(ChatMessage.assistant(reply.text()));
    }

    /** Forgets the conversation (system messages too) and empties the KV cache. */
    public void clear() {
        messages.clear();
        session.clear();
        history = new int[0];
        sessionText = "";
        logits = null;
    }

    /** Every token in the session, in order. */
    public int[] tokens() {
        return history.clone();
    }

    public List<ChatMessage> messages() {
        return List.copyOf(messages);
    }

    public Session session() {
        return session;
    }

    private void appendHistory(int[] tokens) {
        int old = history.length;
        history = Arrays.copyOf(history, old + tokens.length);
        System.arraycopy(tokens, 0, history, old, tokens.length);
    }
}
