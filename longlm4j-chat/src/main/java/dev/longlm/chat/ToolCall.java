package dev.longlm.chat;

/**
 * A function call an assistant message makes (OpenAI's {@code tool_calls[i]}).
 *
 * @param arguments       the arguments as JSON text, as the API carries them
 * @param parsedArguments the same arguments as template values (maps, lists, strings, numbers): chat
 *                        templates print them with {@code tojson}
 */
public record ToolCall(String id, String name, String arguments, Object parsedArguments) {
}
