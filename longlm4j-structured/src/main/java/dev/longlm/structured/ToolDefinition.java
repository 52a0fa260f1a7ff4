package dev.longlm.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A function the model may call (OpenAI's {@code tools[i].function}).
 *
 * @param parameters JSON schema of its arguments (an object schema); {@code {"type": "object"}} when not given
 */
public record ToolDefinition(String name, String description, JsonNode parameters) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** As chat templates read a tool: {@code {type: "function", function: {name, description, parameters}}}. */
    public Map<String, Object> templateValue() {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name);
        if (description != null) {
            function.put("description", description);
        }
        function.put("parameters", JSON.convertValue(parameters, Object.class));
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        return tool;
    }
}
