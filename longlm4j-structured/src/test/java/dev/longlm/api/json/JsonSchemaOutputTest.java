package dev.longlm.api.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.longlm.InputException;
import dev.longlm.api.Device;
import dev.longlm.api.FinishReason;
import dev.longlm.api.GenerationOptions;
import dev.longlm.api.GenerationResult;
import dev.longlm.api.LocalModel;
import dev.longlm.api.Sampling;
import dev.longlm.api.TokenListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Output under a schema's grammar, checked by an independent JSON-schema validator (networknt). */
class JsonSchemaOutputTest {
    private static final String SCHEMA = """
            {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12},
             "age": {"type": "integer"}}, "required": ["name", "age"],
             "additionalProperties": false}""";
    private static LocalModel model;

    @BeforeAll
    static void load() {
        model = LocalModel.load(Path.of("models/pd-llama-13m-ctx256-f16.gguf"), Device.cpu(2));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void greedyAndSampledOutputValidateAgainstTheSchema() throws Exception {
        var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(SCHEMA);
        GenerationOptions options = GenerationOptions.greedy(64).withGrammar(JsonSchemaOutput.grammar(SCHEMA));
        for (GenerationOptions o : new GenerationOptions[] {options, options.withSampling(Sampling.temperature(1f, 7))}) {
            GenerationResult r = model.generate("A person in JSON:", o, TokenListener.NONE);
            JsonNode document = new ObjectMapper().readTree(r.text());
            assertTrue(validator.validate(document).isEmpty(), r.text() + ": " + validator.validate(document));
            assertEquals(FinishReason.STOP, r.finishReason(), r.text());
        }
    }

    @Test
    void aSchemaThatIsNotJsonIsOneLine() {
        InputException e = assertThrows(InputException.class, () -> JsonSchemaOutput.grammar("{\"type\": "));
        assertTrue(e.getMessage().startsWith("the JSON schema is not valid JSON: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void aBudgetTooSmallForAnyAcceptedOutputIsRefused() {
        GenerationOptions options = GenerationOptions.greedy(2).withGrammar(JsonSchemaOutput.grammar(SCHEMA));
        InputException e = assertThrows(InputException.class, () -> model.generate("A person in JSON:", options, TokenListener.NONE));
        assertEquals("no output the grammar accepts fits in 2 tokens; raise maxTokens or simplify the schema", e.getMessage());
    }
}
