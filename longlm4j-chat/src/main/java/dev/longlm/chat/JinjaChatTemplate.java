package dev.longlm.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.longlm.InputException;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A chat template in Jinja, rendered as Hugging Face's {@code apply_chat_template} and llama.cpp do:
 * variables {@code messages}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token},
 * {@code date_string}; functions {@code raise_exception} and {@code strftime_now}; blocks trimmed and
 * left-stripped.
 */
public final class JinjaChatTemplate implements ChatTemplate {
    private static final DateTimeFormatter LLAMA_CPP_DATE = DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH);

    private final String name;
    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    public JinjaChatTemplate(String name, String source, String bosToken, String eosToken) {
        this.name = name;
        this.source = source;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                // Python Jinja semantics that jinjava only gives on request: {{- -}} trimming,
                // filters binding tighter than +, iterating a dict gives its keys, '\n' escapes.
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withIterateOverMapKeys(true)
                        .withEvaluateMapKeys(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .withKeepNullableLoopValues(true)
                        .withUsePyishObjectMapper(true)
                        .withDefaultKeepTrailingNewlineBehavior(true)
                        .build())
                .build();
        this.jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                TemplateFunctions.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                TemplateFunctions.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new PythonToJsonFilter());
    }

    /** {@code tojson} as Python's json.dumps writes (jinjava's own writes compact JSON); {@code indent} by keyword or position. */
    private static final class PythonToJsonFilter implements com.hubspot.jinjava.lib.filter.Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(var, args.length > 0 ? Integer.parseInt(args[0].strip()) : -1);
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, Object[] args,
                             Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            return PythonJson.dumps(var, indent instanceof Number n ? n.intValue() : -1);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extraContext) {
        Map<String, Object> context = new HashMap<>();
        List<Map<String, Object>> messageMaps = new ArrayList<>();
        for (ChatMessage m : messages) {
            messageMaps.add(messageMap(m));
        }
        context.put("messages", messageMaps);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        // llama.cpp passes today's date; Llama 3.x templates print it in the system header.
        context.put("date_string", LLAMA_CPP_DATE.format(LocalDate.now()));
        context.putAll(extraContext);
        RenderResult result;
        try {
            result = jinjava.renderForResult(source, context);
        } catch (TemplateFunctions.TemplateRaisedException e) {
            throw new InputException("chat template " + name + " rejected the conversation: " + e.getMessage());
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                String message = error.getException() != null && rootCause(error.getException()) instanceof TemplateFunctions.TemplateRaisedException raised
                        ? "rejected the conversation: " + raised.getMessage() : "failed: " + error.getMessage();
                throw new InputException("chat template " + name + " " + message);
            }
        }
        return result.getOutput();
    }

    /**
     * A message as templates read it (OpenAI's shape): {@code tool_calls} only when there are some
     * (templates test {@code 'tool_calls' in message}), each {@code {id, type, function: {name, arguments}}}
     * with the arguments as an object; a tool result's {@code tool_call_id} and {@code name}.
     */
    static Map<String, Object> messageMap(ChatMessage m) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("role", m.role());
        map.put("content", m.content());
        if (!m.toolCalls().isEmpty()) {
            List<Map<String, Object>> calls = new ArrayList<>();
            for (ToolCall call : m.toolCalls()) {
                Map<String, Object> function = new LinkedHashMap<>();
                function.put("name", call.name());
                function.put("arguments", call.parsedArguments());
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("id", call.id());
                entry.put("type", "function");
                entry.put("function", function);
                calls.add(entry);
            }
            map.put("tool_calls", calls);
        }
        if (m.toolCallId() != null) {
            map.put("tool_call_id", m.toolCallId());
        }
        if (m.name() != null) {
            map.put("name", m.name());
        }
        return map;
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
