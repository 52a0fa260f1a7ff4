package dev.longlm.api.chat;

/** One message of a conversation: {@code role} is {@code system}, {@code user}, {@code assistant} or {@code tool}. */
public record Message(String role, String content) {
    public static Message system(String content) {
        return new Message("system", content);
    }

    public static Message user(String content) {
        return new Message("user", content);
    }

    public static Message assistant(String content) {
        return new Message("assistant", content);
    }
}
