package dev.longlm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.longlm.InputException;
import dev.longlm.generate.constraint.TokenConstraint;
import dev.longlm.tokenizer.Tokenizer;

import java.util.function.Function;

/** Builds the JSON-schema token constraint for a request's response_format. */
final class ServerConstraints {
    private ServerConstraints() {
    }

    static Function<JsonNode, TokenConstraint> forTokenizer(Tokenizer tokenizer) {
        return schema -> {
            throw new InputException("structured output is not available yet");
        };
    }
}
