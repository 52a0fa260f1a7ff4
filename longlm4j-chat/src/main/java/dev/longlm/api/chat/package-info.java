/**
 * Chat with a model's own chat template (artifact {@code longlm4j-chat}, which brings jinjava):
 *
 * <pre>{@code
 * Chat chat = Chat.of(model);                                  // the GGUF's template, or Chat.of(model, "chatml")
 * GenerationResult reply = chat.reply(List.of(Message.system("Be brief."), Message.user("Summarise: " + text)),
 *         GenerationOptions.greedy(200).withContext(ContextChoice.selfExtend()), System.out::print);
 * }</pre>
 *
 * A {@link dev.longlm.api.chat.Chat} is stateless (each reply evaluates the whole conversation) and thread-safe.
 */
package dev.longlm.api.chat;
