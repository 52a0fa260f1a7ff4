package dev.longlm.structured;

/**
 * OpenAI's {@code tool_choice}: the model decides ({@code auto}), calls nothing ({@code none}), must call
 * some function ({@code required}) or the named one.
 *
 * @param function the function a named choice forces; null otherwise
 */
public record ToolChoice(Mode mode, String function) {
    public enum Mode { AUTO, NONE, REQUIRED, NAMED }

    public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
    public static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
    public static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, null);

    public static ToolChoice named(String function) {
        return new ToolChoice(Mode.NAMED, function);
    }

    /** Whether the output must be tool calls (and is constrained to them). */
    public boolean forced() {
        return mode == Mode.REQUIRED || mode == Mode.NAMED;
    }
}
