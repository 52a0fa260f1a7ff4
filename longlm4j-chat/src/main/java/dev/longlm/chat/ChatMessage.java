package dev.longlm.chat;

import dev.longlm.InputException;

import java.util.List;
import java.util.Set;

/**
 * One turn of a conversation: who speaks ({@code system}, {@code user}, {@code assistant}, {@code tool}) and
 * what; an assistant's function calls, and for a tool's result the call it answers and the function's name.
 */
public record ChatMessage(String role, String content, List<ToolCall> toolCalls, String toolCallId, String name) {
    /** The roles chat templates know; others are rejected up front rather than silently mis-rendered. */
    public static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    public ChatMessage {
        if (role == null || !ROLES.contains(role)) {
            throw new InputException("unknown message role '" + role + "'; use one of system, user, assistant, tool");
        }
        if (content == null) {
            content = "";
        }
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public ChatMessage(String role, String content) {
        this(role, content, List.of(), null, null);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
