package dev.longlm.api;

import dev.longlm.generate.constraint.Grammar;

/**
 * A grammar the output must follow, enforced token by token while sampling: made from a JSON schema by
 * {@code dev.longlm.api.json.JsonSchemaOutput} (artifact {@code longlm4j-structured}). Immutable; one
 * grammar may constrain many generations.
 */
public final class OutputGrammar {
    private final Grammar grammar;

    private OutputGrammar(Grammar grammar) {
        this.grammar = grammar;
    }

    /** Wraps a grammar of the engine's constrained decoding ({@code generate.constraint}). */
    public static OutputGrammar of(Grammar grammar) {
        return new OutputGrammar(grammar);
    }

    Grammar grammar() {
        return grammar;
    }
}
