package dev.longlm.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.longlm.InputException;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chat template in Jinja, rendered as Hugging Face's {@code apply_chat_template} and llama.cpp do:
 * variables {@code messages}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token},
 * {@code date_string}; functions {@code raise_exception} and {@code strftime_now}; blocks trimmed and
 * left-stripped, and where jinjava reads a template otherwise than Python's Jinja, rewritten to what
 * Python reads ({@link #withPythonSemantics}).
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
        this.source = withPythonSemantics(source);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(false) // done by withPythonSemantics, as Python does it
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
        jinjava.getGlobalContext().registerExpTest(new IterableTest());
        jinjava.getGlobalContext().registerFilter(new ItemsFilter());
        jinjava.getGlobalContext().registerFilter(new TrimFilter());
    }

    /**
     * {@code trim} as Python's {@code str.strip()} (of the given characters, {@code trim(chars)}); an
     * undefined value trims to "" as in Python (jinjava's own would print "null").
     */
    private static final class TrimFilter implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            String text = var == null ? "" : var.toString();
            if (args.length == 0 || args[0] == null) {
                return text.strip();
            }
            String chars = args[0];
            int from = 0;
            int to = text.length();
            while (from < to && chars.indexOf(text.charAt(from)) >= 0) {
                from++;
            }
            while (to > from && chars.indexOf(text.charAt(to - 1)) >= 0) {
                to--;
            }
            return text.substring(from, to);
        }
    }

    /** {@code mapping|items}, which llama.cpp's and Hugging Face's engines have: the (key, value) pairs, for {@code for k, v in …}. */
    private static final class ItemsFilter implements Filter {
        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (!(var instanceof Map<?, ?> map)) {
                return List.of();
            }
            List<Map.Entry<?, ?>> pairs = new ArrayList<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                pairs.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
            }
            return pairs;
        }
    }

    /** A tag ({@code {{ }}}, {@code {% %}}) or a comment: the only places a rewrite may touch. */
    private static final Pattern TAG = Pattern.compile("\\{#.*?#}|\\{\\{.*?}}|\\{%.*?%}", Pattern.DOTALL);
    private static final Pattern LOOP_OVER_VARIABLE = Pattern.compile(
            "\\{%[-+]?\\s*for\\s+[\\w, ]+?\\s+in\\s+([A-Za-z_][\\w.]*)\\s*[-+]?%}");
    private static final Pattern LOOP_START = Pattern.compile("\\{%[-+]?\\s*for\\b");
    private static final Pattern LOOP_END = Pattern.compile("\\{%[-+]?\\s*endfor\\b");
    /** In a tag's code: a string literal (kept), {@code not OPERAND is [not] TEST}, or {@code loop.previtem/nextitem}. */
    private static final Pattern CODE = Pattern.compile("(?<string>'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\")"
            + "|\\bnot\\s+(?<operand>[A-Za-z_][\\w.]*(?:\\[[^\\]]*])*)\\s+is\\s+(?<negated>not\\s+)?(?<test>[A-Za-z_]\\w*)"
            + "|\\bloop\\.(?<neighbour>previtem|nextitem)\\b");

    /**
     * Rewrites the code in a template's tags where Python Jinja (which chat templates are written for)
     * and jinjava read the same text differently; text outside tags, comments and string literals are
     * left as they are.
     * <ul>
     * <li>{@code not x is defined} is {@code not (x is defined)} in Python, where tests bind tighter than
     * {@code not}; jinjava reads {@code (not x) is defined}, always true, so a template's
     * {@code {% if not tools is defined %}{% set tools = none %}} would drop the tools it was given.</li>
     * <li>{@code loop.previtem} and {@code loop.nextitem} (Python Jinja 2.10; Hermes' template reads them),
     * which jinjava's loops lack: inside a loop over a plain variable they become indexing of that
     * variable. In a loop over an expression or with an {@code if} filter they are left alone (undefined).</li>
     * <li>{@code lstrip_blocks}: Python strips the spaces and tabs before a block tag or comment only when
     * nothing else precedes it on its line, and not before {@code {%+}; jinjava's own option strips them
     * mid-line too ({@code {{ x }} {% endfor %}} would lose its space), so it is off and done here.</li>
     * </ul>
     */
    static String withPythonSemantics(String source) {
        Deque<String> loops = new ArrayDeque<>(); // what each open loop iterates over ("" for an expression)
        Matcher tags = TAG.matcher(source);
        StringBuilder out = new StringBuilder();
        int textFrom = 0;
        while (tags.find()) {
            String tag = tags.group();
            String text = source.substring(textFrom, tags.start());
            textFrom = tags.end();
            if (!tag.startsWith("{{")) { // lstrip_blocks, for block tags and comments
                char mark = tag.charAt(2);
                if (mark == '+') {
                    tag = tag.substring(0, 2) + tag.substring(3); // {%+ keeps the indentation
                } else if (mark != '-') {
                    text = withoutIndentBeforeTag(text, out.isEmpty());
                }
            }
            out.append(text).append(tag.startsWith("{#") ? tag : rewriteCode(tag, loops.peek()));
            if (LOOP_END.matcher(tag).lookingAt()) {
                loops.poll();
            } else if (LOOP_START.matcher(tag).lookingAt()) {
                Matcher plain = LOOP_OVER_VARIABLE.matcher(tag);
                loops.push(plain.matches() ? plain.group(1) : "");
            }
        }
        return out.append(source, textFrom, source.length()).toString();
    }

    /** {@code text} less the spaces and tabs it ends with when they are all that precedes a tag on its line. */
    private static String withoutIndentBeforeTag(String text, boolean atSourceStart) {
        int indent = text.length();
        while (indent > 0 && (text.charAt(indent - 1) == ' ' || text.charAt(indent - 1) == '\t')) {
            indent--;
        }
        boolean lineStart = indent == 0 ? atSourceStart : text.charAt(indent - 1) == '\n';
        return lineStart ? text.substring(0, indent) : text;
    }

    private static String rewriteCode(String tag, String loopOver) {
        Matcher m = CODE.matcher(tag);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = m.group();
            if (m.group("operand") != null) {
                replacement = "not (" + m.group("operand") + " is " + (m.group("negated") != null ? "not " : "") + m.group("test") + ")";
            } else if (m.group("neighbour") != null && loopOver != null && !loopOver.isEmpty()) {
                replacement = m.group("neighbour").equals("previtem")
                        ? "(" + loopOver + "[loop.index0 - 1] if loop.index0 > 0 else none)"
                        : "(" + loopOver + "[loop.index0 + 1] if not loop.last else none)";
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** {@code is iterable} as in Python, where strings and mappings are iterable too (jinjava: only collections). */
    private static final class IterableTest implements ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof Iterable<?> || var instanceof Map<?, ?> || var instanceof CharSequence
                    || var != null && var.getClass().isArray();
        }
    }

    /** {@code tojson} as Python's json.dumps writes (jinjava's own writes compact JSON); {@code indent} by keyword or position. */
    private static final class PythonToJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(var, args.length > 0 ? Integer.parseInt(args[0].strip()) : -1);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args,
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
