package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.chat.ChatConversation;
import dev.longlm.chat.ChatMessage;
import dev.longlm.chat.ChatTemplate;
import dev.longlm.chat.ChatTemplates;
import dev.longlm.generate.Completion;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.SamplingParameters;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.backend.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat interactively using the model's chat template; /clear starts over, /exit quits. The KV cache is kept between turns.")
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    PositionOptions positions;
    @Mixin
    SamplingOptions sampling;

    @Option(names = "--chat-template", paramLabel = "FILE|NAME", description = "Jinja chat template file or built-in name (chatml, llama3, llama2, phi3, gemma, plain)")
    String chatTemplate;
    @Option(names = {"-sys", "--system"}, paramLabel = "TEXT", description = "system prompt")
    String system;
    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "256", description = "most tokens per reply; -1 = until the context is full (default ${DEFAULT-VALUE})")
    int maxTokens;
    @Option(names = {"-c", "--ctx"}, paramLabel = "N", description = "context size in tokens for the whole conversation (default: the trained context; with a context method, its maximum capped at 16 x the trained context)")
    Integer ctx;
    @Option(names = "--prompt-cache", paramLabel = "FILE", description = "load the KV cache from FILE when it exists (the first turn"
            + " reuses what it shares, e.g. a long system prompt); save the conversation's cache to FILE after every reply")
    Path promptCache;

    @Override
    public Integer call() throws IOException {
        if (maxTokens < -1) {
            throw new InputException("-n must be -1 (unlimited) or >= 0, got " + maxTokens);
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Model model = Model.load(modelOptions.modelPath());
             Backend backend = modelOptions.openBackend()) {
            int trained = model.config().contextLength();
            ContextMethod scheme = positions.resolve(trained, ctx != null ? ctx : trained, System.err);
            int capacity = ContextSize.resolve(ctx, scheme, trained, 0);
            int ringSlots = promptCache == null ? scheme.positionScheme().ringSlots() : PromptCache.ringSlots(scheme, capacity);
            SessionMemory.check(backend, model, scheme, capacity, ringSlots, false, "a context of " + capacity + " positions", "--ctx");
            ChatTemplate template = ChatTemplates.resolve(model.file().metadata(), model.tokenizer(), chatTemplate, System.err);
            PromptCache cache = promptCache == null ? null : new PromptCache(promptCache);
            Session session = cache == null ? Session.create(model, backend, scheme, capacity)
                    : cache.open(model, backend, scheme, capacity, System.err);
            if (session.length() > 0) {
                System.err.println("longlm chat: the prompt cache holds " + session.length() + " tokens; the first turn reuses what it shares");
            }
            ChatConversation conversation = new ChatConversation(session, model.tokenizer(), template, Map.of());
            if (system != null) {
                conversation.addMessage(ChatMessage.system(system));
            }
            SamplingParameters params = sampling.toParameters();
            System.err.println("longlm chat: " + capacity + " positions (" + scheme.describe() + "), template " + template.name()
                    + "; /clear starts over, /exit quits");
            while (true) {
                System.err.print("> ");
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) {
                    break;
                }
                if (line.strip().equals("/clear")) {
                    conversation.clear();
                    if (system != null) {
                        conversation.addMessage(ChatMessage.system(system));
                    }
                    System.err.println("(conversation cleared)");
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                try {
                    conversation.addUserMessage(line);
                } catch (InputException e) {
                    System.err.println("longlm: " + e.getMessage() + "; /clear to start over");
                    continue;
                }
                Completion reply = conversation.reply(new Sampler(params, model.config().vocabSize()), maxTokens);
                Completion.Step step;
                while ((step = reply.next()) != null) {
                    out.print(step.text());
                }
                out.println();
                if (reply.hasUncommittedToken() && conversation.session().length() >= conversation.session().capacity()) {
                    System.err.println("longlm: the context is full; /clear to start over");
                    continue;
                }
                conversation.finishReply(reply);
                if (cache != null) {
                    cache.save(model, conversation.session());
                }
            }
        }
        return 0;
    }
}
