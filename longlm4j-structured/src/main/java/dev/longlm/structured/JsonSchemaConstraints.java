package dev.longlm.structured;

import com.fasterxml.jackson.databind.JsonNode;
import dev.longlm.generate.constraint.Grammar;
import dev.longlm.generate.constraint.GrammarConstraint;
import dev.longlm.generate.constraint.TokenConstraint;
import dev.longlm.generate.constraint.TokenTrie;
import dev.longlm.tokenizer.Tokenizer;

import java.util.function.Function;

/** Token constraints for JSON schemas on one tokenizer; the token trie is built once, here. */
public final class JsonSchemaConstraints implements Function<JsonNode, TokenConstraint> {
    private final TokenTrie trie;

    public JsonSchemaConstraints(Tokenizer tokenizer) {
        this.trie = TokenTrie.of(tokenizer);
    }

    /**
     * Whether some output the constraint accepts can be generated in {@code tokens} tokens: exactly
     * the test generation makes before its first token, so a false here means an empty, unfinished output.
     */
    public boolean canFinishWithin(TokenConstraint constraint, int tokens) {
        return tokens > 0 && constraint.fillAllowed(new boolean[trie.vocabSize()], tokens) > 0;
    }

    /** A fresh constraint for one generation under {@code grammar} (e.g. {@link JsonSchemaGrammar#compileFramed}). */
    public TokenConstraint apply(Grammar grammar) {
        return new GrammarConstraint(grammar, trie);
    }

    /** A fresh constraint for one generation; an unsupported schema is an InputException. */
    @Override
    public TokenConstraint apply(JsonNode schema) {
        Grammar grammar = JsonSchemaGrammar.compile(schema);
        return new GrammarConstraint(grammar, trie);
    }
}
