package dev.longlm.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.longlm.attention.PositionScheme;
import dev.longlm.generate.Completion;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.SamplingParameters;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sampling (temperature 1) on the bundled model, constrained by three schemas: every output
 * parses and passes an independent JSON-schema validator, within the token budget.
 */
class StructuredOutputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RUNS_PER_SCHEMA = 17; // 51 generations in all
    private static final int MAX_TOKENS = 48;
    private static Model model;
    private static CpuBackend backend;
    private static JsonSchemaConstraints constraints;

    @BeforeAll
    static void load() {
        model = Model.load(Path.of("models/pd-llama-13m-ctx256-f16.gguf"));
        backend = new CpuBackend(2);
        constraints = new JsonSchemaConstraints(model.tokenizer());
    }

    @AfterAll
    static void close() {
        backend.close();
        model.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            """
            {"type": "object", "properties": {"id": {"type": "string", "maxLength": 24},
              "tags": {"type": "array", "maxItems": 3, "items": {"enum": ["inference", "attention", "server", "java"]}}},
             "required": ["id", "tags"], "additionalProperties": false}""",
            """
            {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "score": {"type": "number"},
              "ok": {"type": "boolean"}, "nick": {"type": "string"},
              "pets": {"type": "array", "maxItems": 2, "items": {"type": "object",
                 "properties": {"kind": {"enum": ["cat", "dog"]}, "legs": {"type": "integer"}}, "required": ["kind"]}}},
             "required": ["name", "age", "ok", "pets"], "additionalProperties": false}""",
            """
            {"type": "object", "properties": {"answer": {"anyOf": [{"type": "null"}, {"enum": ["yes", "no", 3]}]},
              "version": {"const": "v1"}, "notes": {"type": "array", "minItems": 1, "items": {"type": "string", "maxLength": 8}}},
             "required": ["answer", "version", "notes"], "additionalProperties": false}"""})
    void randomSamplingAlwaysYieldsValidJson(String schemaText) throws Exception {
        JsonNode schema = JSON.readTree(schemaText);
        JsonSchema validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
        var tokenizer = model.tokenizer();
        int[] prompt = tokenizer.encode("Here is the record as JSON:", true, false);
        for (int run = 0; run < RUNS_PER_SCHEMA; run++) {
            Session session = Session.create(model, backend, PositionScheme.PLAIN, prompt.length + MAX_TOKENS);
            float[] logits = session.append(prompt);
            Sampler sampler = new Sampler(new SamplingParameters(1.0f, 0, 1f, 0f, 1f, 0, 1000 + run), tokenizer.vocabSize());
            Completion completion = new Completion(session, tokenizer, sampler, logits,
                    new Completion.Options(MAX_TOKENS, List.of(), -1, constraints.apply(schema)), null);
            while (completion.next() != null) {
                // the loop itself is the generation
            }
            String text = completion.text();
            JsonNode output = JSON.readTree(text);
            assertEquals(Set.of(), validator.validate(output), "run " + run + ": " + text);
            assertTrue(completion.generatedTokens() <= MAX_TOKENS);
        }
    }
}
