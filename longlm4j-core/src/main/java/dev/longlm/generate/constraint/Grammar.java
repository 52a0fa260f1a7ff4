package dev.longlm.generate.constraint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A context-free grammar over Unicode code points, in the shape llama.cpp's GBNF engine uses: each
 * rule is a list of alternatives, each alternative a sequence of character sets and rule references.
 * Rules must not be left-recursive. Immutable once {@link Builder#build} has run.
 */
public final class Grammar {
    /** An element of an alternative. */
    public sealed interface Element permits CharSet, RuleRef {
    }

    /** Code points in {@code ranges} (inclusive pairs), or outside them when {@code negated}. */
    public record CharSet(int[] ranges, boolean negated) implements Element {
        public static CharSet of(int c) {
            return new CharSet(new int[]{c, c}, false);
        }

        public boolean matches(int c) {
            for (int i = 0; i < ranges.length; i += 2) {
                if (c >= ranges[i] && c <= ranges[i + 1]) {
                    return !negated;
                }
            }
            return negated;
        }
    }

    public record RuleRef(int rule) implements Element {
    }

    /** One alternative with, for each position, the fewest characters that complete it from there. */
    public record Alternative(Element[] elements, int[] minRemaining) {
    }

    private final List<List<Alternative>> rules;
    private final int root;

    private Grammar(List<List<Alternative>> rules, int root) {
        this.rules = rules;
        this.root = root;
    }

    public List<Alternative> alternatives(int rule) {
        return rules.get(rule);
    }

    public int root() {
        return root;
    }

    public int ruleCount() {
        return rules.size();
    }

    /** Collects rules; a rule may be declared first and defined later, for recursion. */
    public static final class Builder {
        private final List<List<Element[]>> rules = new ArrayList<>();

        public int declare() {
            rules.add(null);
            return rules.size() - 1;
        }

        public void define(int rule, List<Element[]> alternatives) {
            rules.set(rule, alternatives);
        }

        public int rule(List<Element[]> alternatives) {
            int id = declare();
            define(id, alternatives);
            return id;
        }

        public Grammar build(int root) {
            int n = rules.size();
            long[] minLength = new long[n];
            Arrays.fill(minLength, Long.MAX_VALUE / 4);
            // Fixed point: the shortest string each rule derives (finite for every rule we build).
            for (boolean changed = true; changed; ) {
                changed = false;
                for (int r = 0; r < n; r++) {
                    for (Element[] alt : rules.get(r)) {
                        long len = length(alt, 0, minLength);
                        if (len < minLength[r]) {
                            minLength[r] = len;
                            changed = true;
                        }
                    }
                }
            }
            for (int r = 0; r < n; r++) {
                if (minLength[r] >= Long.MAX_VALUE / 4) {
                    throw new IllegalArgumentException("rule " + r + " derives no finite string");
                }
            }
            requireNoLeftRecursion(minLength);
            List<List<Alternative>> built = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                List<Alternative> alternatives = new ArrayList<>();
                for (Element[] alt : rules.get(r)) {
                    int[] remaining = new int[alt.length + 1];
                    for (int i = alt.length - 1; i >= 0; i--) {
                        remaining[i] = (int) Math.min(Integer.MAX_VALUE / 4,
                                remaining[i + 1] + (alt[i] instanceof RuleRef ref ? minLength[ref.rule()] : 1));
                    }
                    alternatives.add(new Alternative(alt, remaining));
                }
                built.add(List.copyOf(alternatives));
            }
            return new Grammar(List.copyOf(built), root);
        }

        /**
         * A rule that can reach itself before reading a character would make a parse recurse forever;
         * refuse it (depth-first search over the references an alternative makes before its first
         * element that cannot be empty).
         */
        private void requireNoLeftRecursion(long[] minLength) {
            int n = rules.size();
            List<List<Integer>> leading = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                List<Integer> refs = new ArrayList<>();
                for (Element[] alt : rules.get(r)) {
                    for (Element e : alt) {
                        if (!(e instanceof RuleRef ref)) {
                            break;
                        }
                        refs.add(ref.rule());
                        if (minLength[ref.rule()] > 0) {
                            break;
                        }
                    }
                }
                leading.add(refs);
            }
            byte[] mark = new byte[n]; // 0 unvisited, 1 on the current path, 2 done
            for (int start = 0; start < n; start++) {
                if (mark[start] != 0) {
                    continue;
                }
                // Iterative, so that a long chain of references cannot overflow the stack.
                java.util.ArrayDeque<int[]> stack = new java.util.ArrayDeque<>();
                stack.push(new int[]{start, 0});
                mark[start] = 1;
                while (!stack.isEmpty()) {
                    int[] top = stack.peek();
                    List<Integer> next = leading.get(top[0]);
                    if (top[1] == next.size()) {
                        mark[top[0]] = 2;
                        stack.pop();
                        continue;
                    }
                    int child = next.get(top[1]++);
                    if (mark[child] == 1) {
                        throw new IllegalArgumentException("rule " + child + " is left-recursive");
                    }
                    if (mark[child] == 0) {
                        mark[child] = 1;
                        stack.push(new int[]{child, 0});
                    }
                }
            }
        }

        private static long length(Element[] alt, int from, long[] minLength) {
            long total = 0;
            for (int i = from; i < alt.length; i++) {
                total += alt[i] instanceof RuleRef ref ? minLength[ref.rule()] : 1;
            }
            return total;
        }
    }
}
