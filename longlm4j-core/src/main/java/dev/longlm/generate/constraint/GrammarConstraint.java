package dev.longlm.generate.constraint;

/**
 * Constrains generation to sentences of a grammar and makes sure it can always finish within the
 * token budget: a token is allowed only if its text keeps the output a prefix of some sentence and
 * the shortest completion after it still fits the tokens left (counting one token per character,
 * which single-character tokens guarantee). So the output is complete when the budget runs out.
 */
public final class GrammarConstraint implements TokenConstraint {
    private final TokenTrie trie;
    private GrammarState state;

    public GrammarConstraint(Grammar grammar, TokenTrie trie) {
        this.trie = trie;
        this.state = GrammarState.start(grammar);
    }

    @Override
    public boolean allows(int token, int remainingTokens) {
        String text = trie.text(token);
        if (text == null) {
            return false;
        }
        GrammarState next = state.advance(text);
        return next != null && next.minCompletionLength() <= remainingTokens - 1;
    }

    @Override
    public int fillAllowed(boolean[] allowed, int remainingTokens) {
        return walk(trie.root(), state, allowed, remainingTokens - 1);
    }

    private static int walk(TokenTrie.Node node, GrammarState state, boolean[] allowed, int budgetAfter) {
        int count = 0;
        for (int i = 0; i < node.codePoints.length; i++) {
            GrammarState next = state.advance(node.codePoints[i]);
            if (next == null) {
                continue; // every token under this prefix is rejected
            }
            TokenTrie.Node child = node.children[i];
            if (child.tokens.length > 0 && next.minCompletionLength() <= budgetAfter) {
                for (int t : child.tokens) {
                    allowed[t] = true;
                }
                count += child.tokens.length;
            }
            count += walk(child, next, allowed, budgetAfter);
        }
        return count;
    }

    @Override
    public void accept(int token) {
        GrammarState next = state.advance(trie.text(token));
        if (next == null) {
            throw new IllegalStateException("token " + token + " was not allowed by the grammar");
        }
        state = next;
    }

    @Override
    public boolean isComplete() {
        return state.finished();
    }

    /** The output so far is a whole sentence (more may still follow, e.g. digits of a number). */
    public boolean isAccepting() {
        return state.accepting();
    }
}
