package dev.longlm.api;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.backend.Backend;
import dev.longlm.eval.Scorer;
import dev.longlm.eval.TokenScore;
import dev.longlm.generate.Completion;
import dev.longlm.generate.Devices;
import dev.longlm.generate.Sampler;
import dev.longlm.generate.Session;
import dev.longlm.generate.constraint.GrammarConstraint;
import dev.longlm.generate.constraint.TokenConstraint;
import dev.longlm.generate.constraint.TokenTrie;
import dev.longlm.model.Model;
import dev.longlm.model.ModelConfig;
import dev.longlm.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A GGUF model loaded on a device, ready to generate and score text. Holds the memory-mapped file and the
 * backend's weights until {@link #close()}. Thread-safe: requests from several threads run one at a time,
 * each in a fresh session sized for it (no state is kept between requests).
 */
public final class LocalModel implements AutoCloseable {
    private final Model model;
    private final Backend backend;
    private final String device;
    private final ReentrantLock lock = new ReentrantLock();
    /** Built on the first constrained request (one pass over the vocabulary), then shared. */
    private TokenTrie trie;

    private LocalModel(Model model, Backend backend, String device) {
        this.model = model;
        this.backend = backend;
        this.device = device;
    }

    /** Loads {@code gguf} on the CPU with one thread per processor. */
    public static LocalModel load(Path gguf) {
        return load(gguf, Device.cpu());
    }

    /** Loads {@code gguf} on {@code device}; a missing file or device is an {@link InputException}. */
    public static LocalModel load(Path gguf, Device device) {
        Model model = Model.load(gguf);
        try {
            return new LocalModel(model, Devices.open(device.name(), device.threads(), device.kvType()), device.name());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public ModelInfo info() {
        ModelConfig c = model.config();
        return new ModelInfo(c.architecture().ggufName(), c.contextLength(), c.vocabSize(), c.layers(), device);
    }

    /** The number of tokens {@code text} is, without the start-of-text token. */
    public int countTokens(String text) {
        return model.tokenizer().encode(text, false, false).length;
    }

    /**
     * Generates a continuation of {@code prompt} (plain text: special-token spellings such as {@code <s>}
     * stay text), streaming it to {@code listener}.
     */
    public GenerationResult generate(String prompt, GenerationOptions options, TokenListener listener) {
        Tokenizer tokenizer = model.tokenizer();
        return generate(tokenizer.encode(prompt, tokenizer.addBosByDefault(), false), options, listener);
    }

    /** As {@link #generate(String, GenerationOptions, TokenListener)} for a prompt already in tokens. */
    public GenerationResult generate(int[] prompt, GenerationOptions options, TokenListener listener) {
        if (prompt.length == 0) {
            throw new InputException("the prompt is empty; give the model some text to continue");
        }
        int positions = options.contextLength() > 0 ? options.contextLength() : prompt.length + options.maxTokens();
        if (prompt.length >= positions) {
            throw new InputException("a prompt of " + prompt.length + " tokens leaves no room to generate in a context of "
                    + positions + " positions; raise contextLength or leave it 0 (prompt + maxTokens)");
        }
        lock.lock();
        try (Session session = Session.create(model, backend, method(options.context(), positions), positions)) {
            TokenConstraint constraint = options.grammar() == null ? null : new GrammarConstraint(options.grammar().grammar(), trie());
            int budget = Math.min(options.maxTokens(), positions - prompt.length);
            if (constraint != null && constraint.fillAllowed(new boolean[model.config().vocabSize()], budget) == 0) {
                throw new InputException("no output the grammar accepts fits in " + budget + " tokens; raise maxTokens or simplify the schema");
            }
            float[] logits = session.append(prompt);
            Sampler sampler = new Sampler(options.sampling().parameters(), model.config().vocabSize());
            for (int t : prompt) {
                sampler.accept(t);
            }
            Completion completion = new Completion(session, model.tokenizer(), sampler, logits,
                    new Completion.Options(options.maxTokens(), options.stop(), -1, constraint), null);
            Cancellation cancellation = options.cancellation();
            boolean cancelled = false;
            for (Completion.Step step; !cancelled && (step = completion.next()) != null; ) {
                if (!step.text().isEmpty()) {
                    listener.onText(step.text());
                }
                cancelled = cancellation != null && cancellation.isCancelled();
            }
            FinishReason reason = cancelled ? FinishReason.CANCELLED
                    : completion.finishReason() == Completion.FinishReason.STOP ? FinishReason.STOP : FinishReason.LENGTH;
            return new GenerationResult(completion.text(), prompt.length, completion.generatedTokens(), reason,
                    session.method().describe());
        } finally {
            lock.unlock();
        }
    }

    /** The log-probability of every token of {@code text} given those before it, and the perplexity. */
    public TextScore score(String text, ContextChoice context) {
        Tokenizer tokenizer = model.tokenizer();
        int[] tokens = tokenizer.encode(text, tokenizer.addBosByDefault(), false);
        if (tokens.length < 2) {
            throw new InputException("scoring needs a text of at least 2 tokens; got " + tokens.length);
        }
        int positions = Scorer.positionsNeeded(tokens.length);
        lock.lock();
        try (Session session = Session.create(model, backend, method(context, positions), positions)) {
            List<TokenScore> scores = Scorer.score(session, tokens, 0, null);
            double[] logProbabilities = scores.stream().filter(TokenScore::hasPrediction).mapToDouble(TokenScore::logprob).toArray();
            return new TextScore(tokens.length, logProbabilities, Scorer.perplexity(scores), session.method().describe());
        } finally {
            lock.unlock();
        }
    }

    /**
     * The engine's model beneath this API, for longlm4j's own modules (chat templates read its metadata and
     * tokenizer). Its types are the engine's inside, not part of the stable API.
     */
    public Model model() {
        return model;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            backend.close();
            model.close();
        } finally {
            lock.unlock();
        }
    }

    private ContextMethod method(ContextChoice choice, int positions) {
        int trained = model.config().contextLength();
        ContextMethod method = choice.methodFor(trained, positions);
        method.checkFits(positions, trained);
        return method;
    }

    private TokenTrie trie() {
        if (trie == null) {
            trie = TokenTrie.of(model.tokenizer());
        }
        return trie;
    }
}
