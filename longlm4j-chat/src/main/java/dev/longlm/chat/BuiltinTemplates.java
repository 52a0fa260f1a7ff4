package dev.longlm.chat;

import dev.longlm.InputException;

import java.util.List;
import java.util.Map;

/**
 * Named Jinja templates for models whose file carries none (or a broken one), selected with
 * {@code --chat-template NAME}. Written from the model families' published prompt formats.
 */
public final class BuiltinTemplates {
    private record Builtin(String source, List<String> stopStrings) {
    }

    private static final Map<String, Builtin> TEMPLATES = Map.of(
            "chatml", new Builtin("""
                    {%- for message in messages -%}
                    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}
                    {%- endfor -%}
                    {%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}
                    """, List.of("<|im_end|>")),
            "llama3", new Builtin("""
                    {{- bos_token -}}
                    {%- for message in messages -%}
                    {{- '<|start_header_id|>' + message.role + '<|end_header_id|>\\n\\n' + message.content | trim + '<|eot_id|>' -}}
                    {%- endfor -%}
                    {%- if add_generation_prompt -%}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}{%- endif -%}
                    """, List.of("<|eot_id|>")),
            "llama2", new Builtin("""
                    {%- if messages and messages[0].role == 'system' -%}
                    {%- set system = messages[0].content | trim -%}{%- set turns = messages[1:] -%}
                    {%- else -%}{%- set system = '' -%}{%- set turns = messages -%}{%- endif -%}
                    {%- for message in turns -%}
                    {%- if message.role == 'user' -%}
                    {%- if loop.first and system -%}
                    {{- bos_token + '[INST] <<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' + message.content | trim + ' [/INST]' -}}
                    {%- else -%}
                    {{- bos_token + '[INST] ' + message.content | trim + ' [/INST]' -}}
                    {%- endif -%}
                    {%- elif message.role == 'assistant' -%}
                    {{- ' ' + message.content | trim + ' ' + eos_token -}}
                    {%- endif -%}
                    {%- endfor -%}
                    """, List.of("[INST]")),
            "phi3", new Builtin("""
                    {%- for message in messages -%}
                    {{- '<|' + message.role + '|>\\n' + message.content + '<|end|>\\n' -}}
                    {%- endfor -%}
                    {%- if add_generation_prompt -%}{{- '<|assistant|>\\n' -}}{%- endif -%}
                    """, List.of("<|end|>")),
            "gemma", new Builtin("""
                    {{- bos_token -}}
                    {%- if messages and messages[0].role == 'system' -%}
                    {%- set system = messages[0].content | trim + '\\n\\n' -%}{%- set turns = messages[1:] -%}
                    {%- else -%}{%- set system = '' -%}{%- set turns = messages -%}{%- endif -%}
                    {%- for message in turns -%}
                    {%- set role = 'model' if message.role == 'assistant' else message.role -%}
                    {%- set prefix = system if loop.first else '' -%}
                    {{- '<start_of_turn>' + role + '\\n' + prefix + message.content | trim + '<end_of_turn>\\n' -}}
                    {%- endfor -%}
                    {%- if add_generation_prompt -%}{{- '<start_of_turn>model\\n' -}}{%- endif -%}
                    """, List.of("<end_of_turn>")),
            // For models with no template (the bundled base model): a transcript it can continue.
            "plain", new Builtin("""
                    {%- for message in messages -%}
                    {%- if message.role == 'user' -%}{{- 'User: ' + message.content + '\\n' -}}
                    {%- elif message.role == 'assistant' -%}{{- 'Assistant: ' + message.content | trim + '\\n' -}}
                    {%- else -%}{{- message.content + '\\n' -}}{%- endif -%}
                    {%- endfor -%}
                    {%- if add_generation_prompt -%}{{- 'Assistant:' -}}{%- endif -%}
                    """, List.of("\n")));

    private BuiltinTemplates() {
    }

    public static List<String> names() {
        return List.of("chatml", "llama3", "llama2", "phi3", "gemma", "plain");
    }

    public static boolean exists(String name) {
        return TEMPLATES.containsKey(name);
    }

    public static ChatTemplate named(String name, String bosToken, String eosToken) {
        Builtin builtin = TEMPLATES.get(name);
        if (builtin == null) {
            throw new InputException("unknown chat template '" + name + "'; built-in names: " + String.join(", ", names())
                    + " (or pass a .jinja file)");
        }
        return new StoppingTemplate(new JinjaChatTemplate(name, builtin.source(), bosToken, eosToken), builtin.stopStrings());
    }

    /** A template plus the turn-ending strings its format uses. */
    record StoppingTemplate(ChatTemplate template, List<String> stopStrings) implements ChatTemplate {
        @Override
        public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extraContext) {
            return template.render(messages, addGenerationPrompt, extraContext);
        }

        @Override
        public String name() {
            return template.name();
        }

        @Override
        public String source() {
            return template.source();
        }
    }
}
