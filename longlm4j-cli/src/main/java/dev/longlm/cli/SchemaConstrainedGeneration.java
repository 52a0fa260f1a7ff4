package dev.longlm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.InputException;
import dev.longlm.generate.Completion;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.SamplingParameters;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.structured.JsonSchemaConstraints;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** {@code generate --json-schema FILE}: decoding constrained so the output is JSON valid for the schema. */
final class SchemaConstrainedGeneration {
    private SchemaConstrainedGeneration() {
    }

    /** {@code session} already holds {@code prompt[0 … cached)} (a prompt cache); the rest is appended here. */
    static int run(Model model, Session session, int[] prompt, int cached, int maxTokens, SamplingParameters params, Path schemaFile,
                   PrintStream out) {
        JsonNode schema;
        try {
            schema = new ObjectMapper().readTree(TextInput.readText(schemaFile));
        } catch (IOException e) {
            throw new InputException(schemaFile + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        JsonSchemaConstraints constraints = new JsonSchemaConstraints(model.tokenizer());
        var constraint = constraints.apply(schema);
        int budget = session.capacity() - prompt.length;
        if (maxTokens >= 0) {
            budget = Math.min(budget, maxTokens);
        }
        if (!constraints.canFinishWithin(constraint, budget)) {
            throw new InputException(schemaFile + ": no output this schema accepts fits in " + budget + " tokens; raise -n"
                    + (maxTokens >= 0 ? "" : " or --ctx") + " or simplify the schema");
        }
        float[] logits = session.append(prompt, cached, prompt.length - cached, null);
        Sampler sampler = new Sampler(params, model.config().vocabSize());
        for (int t : prompt) {
            sampler.accept(t);
        }
        Completion completion = new Completion(session, model.tokenizer(), sampler, logits,
                new Completion.Options(maxTokens, List.of(), -1, constraint), null);
        for (Completion.Step step; (step = completion.next()) != null; ) {
            out.print(step.text());
        }
        out.println();
        if (completion.finishReason() == Completion.FinishReason.LENGTH && !constraint.isComplete()) {
            System.err.println("longlm: -n " + maxTokens + " tokens were too few to finish the JSON document");
            return 1;
        }
        return 0;
    }
}
