package dev.longlm.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.attention.ContextMethod;
import dev.longlm.generate.Generator;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.SamplingParameters;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

import static dev.longlm.golden.GoldenJson.ints;

/**
 * The self-extend-llamacpp method against llama.cpp's own {@code llama-completion -gan/-gaw} greedy
 * answers on passkey prompts (fixture: tools/golden/passkey_ga.py): same prompt tokens, same
 * decode-call size, the same generated tokens.
 */
class LlamaCppSelfExtendGoldenTest {
    private static Model model;
    private static CpuBackend backend;

    @BeforeAll
    static void load() {
        model = Model.load(Path.of("models/pd-llama-13m-ctx256-f16.gguf"));
        backend = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        backend.close();
        model.close();
    }

    @Test
    void reproducesLlamaCompletionGroupAttentionAnswers() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(Path.of("src/test/resources/golden/passkey-llamacpp-ga.json").toFile());
        JsonNode prompts = golden.get("prompts");
        List<String> mismatches = new ArrayList<>();
        int matched = 0;
        int answersMatched = 0;
        int runs = 0;
        for (JsonNode run : golden.get("runs")) {
            if (!run.get("kv_div").asText().equals("llamacpp")) {
                continue;
            }
            runs++;
            int[] prompt = ints(prompts.get(run.get("prompt").asInt()).get("tokens"));
            int[] expected = ints(run.get("tokens"));
            Session session = Session.create(model, backend,
                    ContextMethod.selfExtendLlamaCpp(run.get("ga_n").asInt(), run.get("ga_w").asInt()),
                    prompt.length + expected.length);
            session.setDecodeCallSize(run.get("n_batch").asInt());
            int[] actual = Generator.generate(session, model.tokenizer(), prompt, expected.length,
                    new Sampler(SamplingParameters.GREEDY, model.config().vocabSize()), null, null).tokens();
            if (Arrays.equals(expected, actual)) {
                matched++;
            } else {
                mismatches.add(run.get("name").asText() + " G" + run.get("ga_n") + " b" + run.get("n_batch")
                        + ": llama.cpp " + Arrays.toString(expected) + " ours " + Arrays.toString(actual));
            }
            // The answer (the first three generated tokens: the digits) is what the evaluation compares.
            if (Arrays.equals(Arrays.copyOf(expected, 3), Arrays.copyOf(actual, 3))) {
                answersMatched++;
            }
        }
        assertTrue(runs >= 40, "fixture has " + runs + " llama.cpp runs");
        assertTrue(answersMatched == runs, answersMatched + "/" + runs + " answers; " + mismatches);
        assertTrue(matched >= runs - 3, matched + "/" + runs + " identical; " + mismatches);
        System.out.println("self-extend-llamacpp: " + matched + "/" + runs + " runs identical to llama.cpp over 8 tokens, "
                + answersMatched + " with the same answer");
    }
}
