package dev.longlm.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.eval.Scorer;
import dev.longlm.eval.TokenScore;
import dev.longlm.generate.Session;
import dev.longlm.model.Model;
import dev.longlm.backend.Backend;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Log-probability of every token of a text given the tokens before it, and the perplexity.")
final class ScoreCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    PositionOptions positions;

    static final class Input {
        @Option(names = "--text-file", paramLabel = "FILE", description = "text to tokenize (BOS is added)")
        Path textFile;
        @Option(names = "--tokens-file", paramLabel = "FILE", description = "whitespace-separated token ids, used as they are")
        Path tokensFile;
    }

    @ArgGroup(multiplicity = "1")
    Input input;

    @Option(names = "--top-logprobs", paramLabel = "K", defaultValue = "0", description = "also list the K most likely tokens per position")
    int topLogprobs;

    @Option(names = "--json", description = "print the full result as JSON")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (topLogprobs < 0) {
            throw new InputException("--top-logprobs must not be negative, got " + topLogprobs);
        }
        try (Model model = Model.load(modelOptions.modelPath());
             Backend backend = modelOptions.openBackend()) {
            int[] tokens = input.tokensFile != null ? TokenFiles.read(input.tokensFile, model.config().vocabSize())
                    : TextInput.tokenize(model, input.textFile);
            if (tokens.length < 2) {
                throw new InputException("need at least 2 tokens to score, got " + tokens.length);
            }
            int trained = model.config().contextLength();
            int positionsNeeded = Scorer.positionsNeeded(tokens.length);
            ContextMethod method = positions.resolve(trained, positionsNeeded, System.err);
            if (method.kind() == ContextMethod.Kind.NONE && positionsNeeded > trained) {
                System.err.println("longlm: warning: " + positionsNeeded + " positions exceed the trained context " + trained
                        + " with plain attention; use --group-size/--window or --self-extend auto to extend it");
            }
            SessionMemory.check(backend, model, method, positionsNeeded, true, "scoring " + tokens.length + " tokens", "the input length");
            Session session = Session.create(model, backend, method, positionsNeeded);
            positions.configure(session);
            KvReport.print(session, System.err);
            Progress progress = new Progress("scoring", positionsNeeded);
            List<TokenScore> scores = Scorer.score(session, tokens, topLogprobs, progress::update);
            double ppl = Scorer.perplexity(scores);
            if (json) {
                writeJson(System.out, modelOptions.modelPath(), scores, ppl);
            } else {
                System.out.printf("n_tokens %d  ppl %.4f  (%s)%n", tokens.length, ppl, method.describe());
            }
        }
        return 0;
    }

    private static void writeJson(OutputStream out, Path model, List<TokenScore> scores, double ppl) throws IOException {
        JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8);
        g.writeStartObject();
        g.writeStringField("model", model.getFileName().toString());
        g.writeNumberField("n_tokens", scores.size());
        g.writeNumberField("ppl", ppl);
        g.writeArrayFieldStart("tokens");
        for (TokenScore s : scores) {
            g.writeStartObject();
            g.writeNumberField("id", s.id());
            if (s.hasPrediction()) {
                g.writeNumberField("logprob", s.logprob());
            } else {
                g.writeNullField("logprob");
            }
            g.writeArrayFieldStart("top_logprobs");
            for (int t = 0; t < s.topIds().length; t++) {
                g.writeStartObject();
                g.writeNumberField("id", s.topIds()[t]);
                g.writeNumberField("logprob", s.topLogprobs()[t]);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeRaw('\n');
        g.flush();
    }
}
