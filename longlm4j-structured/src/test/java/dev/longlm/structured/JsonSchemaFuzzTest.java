package dev.longlm.structured;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.InputException;
import dev.longlm.generate.constraint.Grammar;
import dev.longlm.generate.constraint.GrammarState;

/**
 * Fuzz target: any JSON as a response schema, then any text fed to the compiled grammar. Compiling
 * succeeds or throws an {@link InputException}; a compiled grammar always has a finite shortest
 * completion and advances over any text without throwing.
 */
class JsonSchemaFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @FuzzTest(maxDuration = "10m")
    void compileAndAdvance(FuzzedDataProvider data) {
        String schemaText = data.consumeString(4000);
        String text = data.consumeRemainingAsString();
        JsonNode schema;
        try {
            schema = JSON.readTree(schemaText);
        } catch (JacksonException notJson) {
            return; // the server answers 400 invalid_json before compiling
        }
        if (schema == null) {
            return;
        }
        Grammar grammar;
        try {
            grammar = JsonSchemaGrammar.compile(schema);
        } catch (InputException expected) {
            return;
        }
        GrammarState state = GrammarState.start(grammar);
        if (state.minCompletionLength() < 0) {
            throw new IllegalStateException("negative shortest completion");
        }
        for (int i = 0; i < text.length() && state != null; ) {
            int cp = text.codePointAt(i);
            state = state.advance(cp);
            i += Character.charCount(cp);
            if (state != null && state.minCompletionLength() < 0) {
                throw new IllegalStateException("negative shortest completion");
            }
        }
    }
}
