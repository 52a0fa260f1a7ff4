package dev.longlm.server;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.longlm.InputException;
import dev.longlm.chat.BuiltinTemplates;
import dev.longlm.model.Model;
import dev.longlm.structured.JsonSchemaConstraints;
import dev.longlm.backend.cpu.CpuBackend;

/**
 * Fuzz target: any request body to either completion endpoint, through everything the server does
 * before a request takes a slot — JSON parsing, {@link RequestParser} and
 * {@link GenerationService#plan} (chat template, tokenization, context and Self-Extend decision,
 * memory check, schema compilation) on the bundled model. The outcome is a plan or an
 * {@link ApiException} (a 4xx/5xx JSON answer); nothing else may escape.
 */
class RequestFuzzTest {
    private static final Model MODEL = Model.load(TestServer.MODEL);
    private static final GenerationService SERVICE = new GenerationService(MODEL, BuiltinTemplates.named("chatml", "<s>", "</s>"),
            new CpuBackend(1), new ServerOptions("127.0.0.1", 0, 1, 0, 1024, null, null, TestServer.MODEL_ID),
            new JsonSchemaConstraints(MODEL.tokenizer()));

    @FuzzTest(maxDuration = "10m")
    void parseAndPlan(FuzzedDataProvider data) {
        boolean chat = data.consumeBoolean();
        byte[] body = data.consumeRemainingAsBytes();
        try {
            JsonNode json = OpenAiServer.parseBody(body);
            SERVICE.plan(RequestParser.parse(json, chat, TestServer.MODEL_ID));
        } catch (ApiException | InputException expected) {
            // a 4xx answer
        }
    }
}
