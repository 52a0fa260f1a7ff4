package dev.longlm.structured;

import dev.longlm.generate.constraint.Grammar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.InputException;
import dev.longlm.Printable;
import dev.longlm.generate.constraint.Grammar.CharSet;
import dev.longlm.generate.constraint.Grammar.Element;
import dev.longlm.generate.constraint.Grammar.RuleRef;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON schema into a {@link Grammar} for compact JSON (no insignificant whitespace) that
 * only derives documents the schema accepts. Supported: type (and lists of types), properties with
 * required (emitted in schema order; optional ones may be skipped), items with minItems/maxItems,
 * strings with minLength/maxLength, integer, number, boolean, null, enum, const, anyOf/oneOf, local
 * $ref, and the empty schema (any JSON value). Keywords that would need more (pattern, allOf, not,
 * numeric ranges) are refused rather than silently ignored, so valid output means schema-valid output.
 */
public final class JsonSchemaGrammar {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Keywords that describe rather than constrain. */
    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "title", "description", "default", "examples",
            "$comment", "additionalProperties", "$defs", "definitions", "format", "strict", "name", "readOnly", "writeOnly");
    private static final Set<String> SUPPORTED = Set.of("type", "properties", "required", "items", "minItems", "maxItems",
            "minLength", "maxLength", "enum", "const", "anyOf", "oneOf", "$ref");
    private static final int MAX_EXPANDED_BOUND = 256;
    /** Deepest nesting of schemas (and chains of $ref) compiled; far beyond any real schema, far below the stack's limit. */
    static final int MAX_DEPTH = 128;

    private final Grammar.Builder builder = new Grammar.Builder();
    private final JsonNode rootSchema;
    private final Map<String, Integer> refs = new HashMap<>();
    private final Map<String, Integer> shared = new HashMap<>();
    private int depth;

    private JsonSchemaGrammar(JsonNode rootSchema) {
        this.rootSchema = rootSchema;
    }

    public static Grammar compile(JsonNode schema) {
        JsonSchemaGrammar compiler = new JsonSchemaGrammar(schema);
        int root = compiler.value(schema, "schema");
        try {
            return compiler.builder.build(root);
        } catch (IllegalArgumentException e) {
            // Only $ref can make a rule refer to itself: a cycle that never reaches a value, or reaches
            // itself before any character ({"anyOf": [{"$ref": "#"}, ...]}).
            throw new InputException("schema: a $ref cycle " + (e.getMessage().contains("left-recursive")
                    ? "refers back to itself before any character is written" : "has no finite instance (every path through it requires itself)")
                    + "; break the cycle with an optional property or an alternative");
        }
    }

    /**
     * A grammar for documents the schema accepts written inside fixed text — a model's own tool-call
     * syntax: {@code open}, a document, then {@code close}; and up to {@code maxRepeats} times in all, each
     * further one after {@code separator}: {@code open D close (separator open D close)*}.
     */
    public static Grammar compileFramed(String open, JsonNode schema, String close, String separator, int maxRepeats) {
        if (maxRepeats < 1) {
            throw new IllegalArgumentException("at least one document, got " + maxRepeats);
        }
        JsonSchemaGrammar compiler = new JsonSchemaGrammar(schema);
        int document = compiler.value(schema, "schema");
        int rest = compiler.repeat(document, 1, maxRepeats, literal(close + separator + open), literal(close));
        Element[] root = concat(literal(open), new Element[]{new RuleRef(rest)});
        return compiler.builder.build(compiler.builder.rule(List.<Element[]>of(root)));
    }

    /** A rule deriving the values {@code schema} accepts. */
    private int value(JsonNode schema, String where) {
        if (++depth > MAX_DEPTH) {
            throw new InputException(Printable.escaped(where, Printable.MAX_SHOWN) + ": the schema nests more than " + MAX_DEPTH
                    + " levels (or follows as many $refs); flatten it");
        }
        try {
            return valueRule(schema, where);
        } finally {
            depth--;
        }
    }

    private int valueRule(JsonNode schema, String where) {
        if (schema.isBoolean()) {
            if (!schema.asBoolean()) {
                throw new InputException(where + ": the schema 'false' accepts nothing");
            }
            return anyValue();
        }
        if (!schema.isObject()) {
            throw new InputException(where + ": a schema must be an object");
        }
        for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!SUPPORTED.contains(key) && !ANNOTATIONS.contains(key)) {
                throw new InputException(where + ": the keyword " + Printable.quoted(key) + " is not supported for constrained decoding");
            }
        }
        if (schema.has("additionalProperties") && schema.get("additionalProperties").isObject()) {
            throw new InputException(where + ": additionalProperties schemas are not supported (use true/false or properties)");
        }
        if (schema.has("$ref")) {
            return ref(schema.get("$ref").asText(), where);
        }
        if (schema.has("const")) {
            return literalRule(compact(schema.get("const")));
        }
        if (schema.has("enum")) {
            JsonNode values = schema.get("enum");
            if (!values.isArray() || values.isEmpty()) {
                throw new InputException(where + ".enum must be a non-empty array");
            }
            List<Element[]> alts = new ArrayList<>();
            for (JsonNode v : values) {
                alts.add(literal(compact(v)));
            }
            return builder.rule(alts);
        }
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (schema.has(combinator)) {
                List<Element[]> alts = new ArrayList<>();
                int i = 0;
                for (JsonNode sub : schema.get(combinator)) {
                    alts.add(new Element[]{new RuleRef(value(sub, where + "." + combinator + "[" + i++ + "]"))});
                }
                if (alts.isEmpty()) {
                    throw new InputException(where + "." + combinator + " must not be empty");
                }
                return builder.rule(alts);
            }
        }
        JsonNode type = schema.get("type");
        if (type == null) {
            return schema.has("properties") ? object(schema, where) : schema.has("items") ? array(schema, where) : anyValue();
        }
        if (type.isArray()) {
            List<Element[]> alts = new ArrayList<>();
            for (JsonNode t : type) {
                alts.add(new Element[]{new RuleRef(typed(t.asText(), schema, where))});
            }
            return builder.rule(alts);
        }
        return typed(type.asText(), schema, where);
    }

    private int typed(String type, JsonNode schema, String where) {
        return switch (type) {
            case "object" -> object(schema, where);
            case "array" -> array(schema, where);
            case "string" -> string(schema.path("minLength").asInt(0), schema.has("maxLength") ? schema.get("maxLength").asInt() : -1, where);
            case "integer" -> integer();
            case "number" -> number();
            case "boolean" -> builder.rule(List.of(literal("true"), literal("false")));
            case "null" -> literalRule("null");
            default -> throw new InputException(where + ": unknown type " + Printable.quoted(type));
        };
    }

    private int object(JsonNode schema, String where) {
        JsonNode properties = schema.get("properties");
        if (properties != null && !properties.isObject()) {
            throw new InputException(where + ".properties must be an object");
        }
        JsonNode requiredNode = schema.path("required");
        if (!requiredNode.isMissingNode() && !requiredNode.isArray()) {
            throw new InputException(where + ".required must be an array of property names");
        }
        // Checked before the no-properties case: generation only writes properties it has schemas
        // for, so a required one without a schema could never appear in the output.
        Set<String> required = new HashSet<>();
        for (JsonNode r : requiredNode) {
            if (!r.isTextual() || properties == null || !properties.has(r.asText())) {
                throw new InputException(where + ": required property " + Printable.quoted(r.asText())
                        + " is not in properties; add a schema for it under 'properties'");
            }
            required.add(r.asText());
        }
        if (properties == null || properties.isEmpty()) {
            return anyObject();
        }
        List<String> names = new ArrayList<>();
        List<Integer> members = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            names.add(p.getKey());
            int valueRule = value(p.getValue(), where + ".properties." + Printable.escaped(p.getKey(), 40));
            Element[] key = literal(compact(JSON.getNodeFactory().textNode(p.getKey())) + ":");
            members.add(builder.rule(List.<Element[]>of(concat(key, new Element[]{new RuleRef(valueRule)}))));
        }
        // rest[i][first]: the members from i on, with "first" meaning no comma is owed before the next one.
        int n = names.size();
        int[][] rest = new int[n + 1][2];
        for (int i = n; i >= 0; i--) {
            for (int first = 0; first < 2; first++) {
                List<Element[]> alts = new ArrayList<>();
                if (i == n) {
                    alts.add(literal("}"));
                } else {
                    Element[] comma = first == 1 ? new Element[0] : literal(",");
                    alts.add(concat(comma, new Element[]{new RuleRef(members.get(i)), new RuleRef(rest[i + 1][0])}));
                    if (!required.contains(names.get(i))) {
                        alts.add(new Element[]{new RuleRef(rest[i + 1][first])});
                    }
                }
                rest[i][first] = builder.rule(alts);
            }
        }
        return builder.rule(List.<Element[]>of(concat(literal("{"), new Element[]{new RuleRef(rest[0][1])})));
    }

    private int array(JsonNode schema, String where) {
        JsonNode items = schema.get("items");
        int item = items == null ? anyValue() : value(items, where + ".items");
        int min = schema.path("minItems").asInt(0);
        int max = schema.has("maxItems") ? schema.get("maxItems").asInt() : -1;
        if (min < 0 || (max >= 0 && max < min) || min > MAX_EXPANDED_BOUND || max > MAX_EXPANDED_BOUND) {
            throw new InputException(where + ": minItems/maxItems must satisfy 0 <= min <= max <= " + MAX_EXPANDED_BOUND);
        }
        return builder.rule(List.<Element[]>of(concat(literal("["), new Element[]{new RuleRef(repeat(item, min, max, literal(","), literal("]")))})));
    }

    /**
     * A rule for between {@code min} and {@code max} (-1: unbounded) repetitions of {@code item},
     * separated by {@code separator}, then {@code end}.
     */
    private int repeat(int item, int min, int max, Element[] separator, Element[] end) {
        if (max < 0) {
            // tail ::= sep item tail | end — right recursion keeps the parse stack flat.
            int tail = builder.declare();
            builder.define(tail, List.of(concat(separator, new Element[]{new RuleRef(item), new RuleRef(tail)}), end));
            int next = tail;
            for (int k = Math.max(min, 1) - 1; k > 0; k--) {
                int r = builder.rule(List.<Element[]>of(concat(separator, new Element[]{new RuleRef(item), new RuleRef(next)})));
                next = r;
            }
            int first = builder.rule(List.<Element[]>of(new Element[]{new RuleRef(item), new RuleRef(next)}));
            return min == 0 ? builder.rule(List.of(new Element[]{new RuleRef(first)}, end)) : first;
        }
        // after[k]: k items written so far (k >= 1).
        int next = builder.rule(List.<Element[]>of(end));
        for (int k = max - 1; k >= 1; k--) {
            List<Element[]> alts = new ArrayList<>();
            alts.add(concat(separator, new Element[]{new RuleRef(item), new RuleRef(next)}));
            if (k >= min) {
                alts.add(end);
            }
            next = builder.rule(alts);
        }
        if (max == 0) {
            return next;
        }
        List<Element[]> alts = new ArrayList<>();
        alts.add(new Element[]{new RuleRef(item), new RuleRef(next)});
        if (min == 0) {
            alts.add(end);
        }
        return builder.rule(alts);
    }

    private int string(int minLength, int maxLength, String where) {
        if (minLength < 0 || (maxLength >= 0 && maxLength < minLength) || minLength > MAX_EXPANDED_BOUND || maxLength > MAX_EXPANDED_BOUND) {
            throw new InputException(where + ": minLength/maxLength must satisfy 0 <= min <= max <= " + MAX_EXPANDED_BOUND);
        }
        if (minLength == 0 && maxLength < 0) {
            return shared("string", () -> builder.rule(List.<Element[]>of(concat(literal("\""), new Element[]{new RuleRef(stringTail())}))));
        }
        return builder.rule(List.<Element[]>of(concat(literal("\""),
                new Element[]{new RuleRef(repeat(stringChar(), minLength, maxLength, new Element[0], literal("\"")))})));
    }

    /** tail ::= char tail | '"' */
    private int stringTail() {
        int tail = builder.declare();
        builder.define(tail, List.of(new Element[]{new RuleRef(stringChar()), new RuleRef(tail)}, literal("\"")));
        return tail;
    }

    private int stringChar() {
        return shared("char", () -> {
            Element plain = new CharSet(new int[]{'"', '"', '\\', '\\', 0, 0x1F}, true);
            int hex = builder.rule(List.<Element[]>of(new Element[]{new CharSet(new int[]{'0', '9', 'a', 'f', 'A', 'F'}, false)}));
            Element[] escape = new Element[]{CharSet.of('\\'), new CharSet(new int[]{'"', '"', '\\', '\\', '/', '/', 'b', 'b', 'f', 'f', 'n', 'n', 'r', 'r', 't', 't'}, false)};
            Element[] unicode = new Element[]{CharSet.of('\\'), CharSet.of('u'), new RuleRef(hex), new RuleRef(hex), new RuleRef(hex), new RuleRef(hex)};
            return builder.rule(List.of(new Element[]{plain}, escape, unicode));
        });
    }

    private int integer() {
        return shared("integer", () -> {
            int digits = digits();
            Element nonZero = new CharSet(new int[]{'1', '9'}, false);
            int unsigned = builder.rule(List.of(literal("0"), new Element[]{nonZero, new RuleRef(digits)}));
            return builder.rule(List.of(new Element[]{new RuleRef(unsigned)}, new Element[]{CharSet.of('-'), new RuleRef(unsigned)}));
        });
    }

    private int number() {
        return shared("number", () -> {
            int digits = digits();
            Element digit = new CharSet(new int[]{'0', '9'}, false);
            int fraction = builder.rule(List.of(new Element[0], new Element[]{CharSet.of('.'), digit, new RuleRef(digits)}));
            int exponent = builder.rule(List.of(new Element[0],
                    new Element[]{new CharSet(new int[]{'e', 'e', 'E', 'E'}, false), new RuleRef(builder.rule(List.of(new Element[0],
                            new Element[]{new CharSet(new int[]{'+', '+', '-', '-'}, false)}))), digit, new RuleRef(digits)}));
            return builder.rule(List.<Element[]>of(new Element[]{new RuleRef(integer()), new RuleRef(fraction), new RuleRef(exponent)}));
        });
    }

    /** digits ::= [0-9] digits | ε */
    private int digits() {
        return shared("digits", () -> {
            int r = builder.declare();
            builder.define(r, List.of(new Element[]{new CharSet(new int[]{'0', '9'}, false), new RuleRef(r)}, new Element[0]));
            return r;
        });
    }

    /** Any JSON value (for {} and json_object's members). */
    private int anyValue() {
        Integer existing = shared.get("value");
        if (existing != null) {
            return existing;
        }
        int value = builder.declare();
        shared.put("value", value);
        int string = string(0, -1, "value");
        builder.define(value, List.of(new Element[]{new RuleRef(anyObject())}, new Element[]{new RuleRef(anyArray())},
                new Element[]{new RuleRef(string)}, new Element[]{new RuleRef(number())},
                literal("true"), literal("false"), literal("null")));
        return value;
    }

    private int anyObject() {
        return shared("object", () -> {
            int value = anyValue();
            int member = builder.rule(List.<Element[]>of(new Element[]{new RuleRef(string(0, -1, "key")), CharSet.of(':'), new RuleRef(value)}));
            return builder.rule(List.<Element[]>of(concat(literal("{"), new Element[]{new RuleRef(repeat(member, 0, -1, literal(","), literal("}")))})));
        });
    }

    private int anyArray() {
        return shared("array", () -> {
            int value = anyValue();
            return builder.rule(List.<Element[]>of(concat(literal("["), new Element[]{new RuleRef(repeat(value, 0, -1, literal(","), literal("]")))})));
        });
    }

    private int ref(String ref, String where) {
        Integer known = refs.get(ref);
        if (known != null) {
            return known;
        }
        if (!ref.startsWith("#/")) {
            throw new InputException(where + ": only local $ref (#/...) is supported, got " + Printable.quoted(ref));
        }
        JsonNode target = rootSchema.at(ref.substring(1));
        if (target.isMissingNode()) {
            throw new InputException(where + ": $ref " + Printable.quoted(ref) + " points nowhere");
        }
        int rule = builder.declare();
        refs.put(ref, rule);
        builder.define(rule, List.<Element[]>of(new Element[]{new RuleRef(value(target, Printable.escaped(ref, 60)))}));
        return rule;
    }

    private int shared(String name, java.util.function.IntSupplier make) {
        Integer existing = shared.get(name);
        if (existing != null) {
            return existing;
        }
        int rule = make.getAsInt();
        shared.put(name, rule);
        return rule;
    }

    private int literalRule(String text) {
        return builder.rule(List.<Element[]>of(literal(text)));
    }

    private static Element[] literal(String text) {
        return text.codePoints().mapToObj(CharSet::of).toArray(Element[]::new);
    }

    private static Element[] concat(Element[] a, Element[] b) {
        Element[] out = new Element[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String compact(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
