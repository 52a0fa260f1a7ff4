package dev.longlm.api.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.InputException;
import dev.longlm.api.OutputGrammar;
import dev.longlm.structured.JsonSchemaGrammar;

/** Grammars from JSON schemas (the subset docs/SERVER.md lists; anything else is an {@link InputException}). */
public final class JsonSchemaOutput {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonSchemaOutput() {
    }

    /** The grammar of the JSON documents {@code schema} (a JSON schema, as text) accepts. */
    public static OutputGrammar grammar(String schema) {
        try {
            return OutputGrammar.of(JsonSchemaGrammar.compile(JSON.readTree(schema)));
        } catch (JsonProcessingException e) {
            throw new InputException("the JSON schema is not valid JSON: " + e.getOriginalMessage());
        }
    }
}
