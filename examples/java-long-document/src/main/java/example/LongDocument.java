package example;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.langchain4j.model.output.structured.Description;
import dev.langchain4j.service.AiServices;
import dev.longlm.api.ContextChoice;
import dev.longlm.api.Device;
import dev.longlm.api.GenerationOptions;
import dev.longlm.api.GenerationResult;
import dev.longlm.api.LocalModel;
import dev.longlm.langchain4j.LongLmChatModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a whole document, longer than the model's trained context, under Self-Extend (G chosen from the
 * length), twice: summarised through the plain longlm4j API, and tagged through LangChain4j's AiServices,
 * whose answer is a record because decoding is constrained by the record's JSON schema.
 *
 * <pre>java example.LongDocument DOCUMENT MODEL.gguf [cpu|cuda:0]</pre>
 */
public final class LongDocument {
    /** A closed list of tags: LangChain4j turns the enum into the schema's "enum", our grammar enforces it. */
    enum Tag { INFERENCE, LONG_CONTEXT, GPU, BENCHMARKS, SERVER, TESTING, TUTORIAL, OTHER }

    record Tagging(@JsonProperty(required = true) @Description("one to three tags that describe the document") List<Tag> tags) {
    }

    interface Tagger {
        Tagging tag(String document);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: LongDocument DOCUMENT MODEL.gguf [cpu|cuda:0]");
            System.exit(2);
        }
        String document = Files.readString(Path.of(args[0]));
        Device device = args.length > 2 && args[2].startsWith("cuda") ? new Device(args[2], 1, "f16") : Device.cpu();
        try (LocalModel model = LocalModel.load(Path.of(args[1]), device)) {
            System.out.printf("%s trained on %d tokens; the document is %d tokens%n", model.info().architecture(),
                    model.info().trainedContext(), model.countTokens(document));

            // 1. The plain API: continue "Summary:" after the whole document, streamed as it comes.
            System.out.print("summary:");
            GenerationResult summary = model.generate(document + "\n\nSummary:",
                    GenerationOptions.greedy(48).withContext(ContextChoice.selfExtend()), System.out::print);
            System.out.printf("%n(%d prompt tokens, %d generated, %s, %s)%n", summary.promptTokens(), summary.outputTokens(),
                    summary.contextMethod(), summary.finishReason());

            // 2. LangChain4j: the same model behind a ChatModel, an AI service that returns a record.
            try (LongLmChatModel chat = LongLmChatModel.builder().model(model).contextChoice(ContextChoice.selfExtend())
                    .maxTokens(64).build()) {
                Tagging tagging = AiServices.create(Tagger.class, chat).tag(document);
                System.out.println("tags: " + tagging.tags());
            }
        }
    }
}
