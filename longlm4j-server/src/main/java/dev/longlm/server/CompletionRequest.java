package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.longlm.attention.ContextMethod;
import dev.longlm.chat.ChatMessage;
import dev.longlm.generate.SamplingParameters;

import java.util.List;

/**
 * A validated request to {@code /v1/chat/completions} (messages) or {@code /v1/completions} (prompt).
 *
 * @param maxTokens      -1: until end of turn or the context limit
 * @param topLogprobs    -1 when log-probabilities were not asked for
 * @param responseSchema JSON schema the output must satisfy; null for free text
 * @param contextMethod  per-request override ({@code self_extend: {group_size, window}} or
 *                       {@code context_method: {method, …}}); null for the server's choice
 * @param cachePrompt    whether the request may reuse a slot's cached prefix ({@code cache_prompt}, default true)
 * @param tools          functions the model may call (chat only); empty for none
 * @param toolChoice     {@code tool_choice}; NONE when there are no tools
 */
public record CompletionRequest(boolean chat, List<ChatMessage> messages, String prompt, SamplingParameters sampling,
                                int maxTokens, List<String> stop, int topLogprobs, boolean stream, boolean includeUsage,
                                JsonNode responseSchema, ContextMethod contextMethod, boolean cachePrompt,
                                List<dev.longlm.structured.ToolDefinition> tools, dev.longlm.structured.ToolChoice toolChoice,
                                boolean parallelToolCalls) {
    /** Whether the reply may be function calls (and is parsed for them). */
    public boolean toolsActive() {
        return !tools.isEmpty() && toolChoice.mode() != dev.longlm.structured.ToolChoice.Mode.NONE;
    }
}
