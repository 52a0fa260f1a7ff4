package dev.longlm.generate.constraint;

import dev.longlm.generate.constraint.Grammar.Alternative;
import dev.longlm.generate.constraint.Grammar.CharSet;
import dev.longlm.generate.constraint.Grammar.RuleRef;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Where a parse of a grammar can be after some text: the set of possible parse stacks (the
 * grammar may be ambiguous until more text arrives), each with a character set on top, and whether
 * the text so far is already a complete sentence. Immutable; {@link #advance} returns a new state.
 */
public final class GrammarState {
    /** A parse stack: position {@code pos} in an alternative, above the frames it returns to. */
    record Frame(Alternative alternative, int pos, Frame next) {
        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Frame f) || f.alternative != alternative || f.pos != pos) {
                return false;
            }
            return next == null ? f.next == null : next.equals(f.next);
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(alternative) * 31 + pos * 7 + (next == null ? 0 : next.hashCode());
        }
    }

    private final Grammar grammar;
    private final Frame[] stacks;
    private final boolean accepting;

    private GrammarState(Grammar grammar, Frame[] stacks, boolean accepting) {
        this.grammar = grammar;
        this.stacks = stacks;
        this.accepting = accepting;
    }

    public static GrammarState start(Grammar grammar) {
        Set<Frame> out = new LinkedHashSet<>();
        boolean accepting = false;
        for (Alternative alt : grammar.alternatives(grammar.root())) {
            accepting |= expand(grammar, new Frame(alt, 0, null), out);
        }
        return new GrammarState(grammar, out.toArray(Frame[]::new), accepting);
    }

    /** The state after one more code point, or null if the grammar cannot take it here. */
    public GrammarState advance(int codePoint) {
        Set<Frame> out = new LinkedHashSet<>();
        boolean accepting = false;
        for (Frame s : stacks) {
            CharSet set = (CharSet) s.alternative.elements()[s.pos];
            if (set.matches(codePoint)) {
                accepting |= expand(grammar, pop(s), out);
            }
        }
        if (out.isEmpty() && !accepting) {
            return null;
        }
        return new GrammarState(grammar, out.toArray(Frame[]::new), accepting);
    }

    /** The state after {@code text}, or null if some character is not allowed. */
    public GrammarState advance(String text) {
        GrammarState state = this;
        for (int i = 0; i < text.length() && state != null; ) {
            int cp = text.codePointAt(i);
            state = state.advance(cp);
            i += Character.charCount(cp);
        }
        return state;
    }

    /** The text so far is a complete sentence. */
    public boolean accepting() {
        return accepting;
    }

    /** Complete, and no character can follow. */
    public boolean finished() {
        return accepting && stacks.length == 0;
    }

    /** The fewest characters that would complete a sentence from here (0 when accepting). */
    public int minCompletionLength() {
        if (accepting) {
            return 0;
        }
        int best = Integer.MAX_VALUE;
        for (Frame s : stacks) {
            long total = 0;
            for (Frame f = s; f != null; f = f.next) {
                total += f.alternative.minRemaining()[f.pos];
            }
            best = (int) Math.min(best, total);
        }
        return best;
    }

    /** Moves past the character set on top; a finished alternative returns to its caller (no frame is kept). */
    private static Frame pop(Frame s) {
        return s.pos + 1 < s.alternative.elements().length ? new Frame(s.alternative, s.pos + 1, s.next) : s.next;
    }

    /** Adds the stacks {@code s} can be in with a character set on top; returns whether it can be complete. */
    private static boolean expand(Grammar grammar, Frame s, Set<Frame> out) {
        while (s != null && s.pos == s.alternative.elements().length) {
            s = s.next;
        }
        if (s == null) {
            return true;
        }
        Grammar.Element e = s.alternative.elements()[s.pos];
        if (e instanceof CharSet) {
            out.add(s);
            return false;
        }
        Frame rest = pop(s);
        boolean accepting = false;
        for (Alternative alt : grammar.alternatives(((RuleRef) e).rule())) {
            accepting |= expand(grammar, new Frame(alt, 0, rest), out);
        }
        return accepting;
    }
}
