package dev.longlm.structured;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.InputException;
import dev.longlm.generate.constraint.GrammarState;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compiled grammar accepts exactly the compact documents the schema allows. */
class JsonSchemaGrammarTest {
    private static final String TAGS = """
            {"type": "object", "properties": {"id": {"type": "string"},
              "tags": {"type": "array", "maxItems": 3, "items": {"enum": ["a", "bb", "c"]}},
              "note": {"type": "string"}},
             "required": ["id", "tags"]}""";

    private static GrammarState start(String schema) throws Exception {
        return GrammarState.start(JsonSchemaGrammar.compile(new ObjectMapper().readTree(schema)));
    }

    private static boolean accepts(GrammarState start, String text) {
        GrammarState end = start.advance(text);
        return end != null && end.accepting();
    }

    @Test
    void acceptsValidAndRejectsInvalidDocuments() throws Exception {
        GrammarState s = start(TAGS);
        assertTrue(accepts(s, "{\"id\":\"x\",\"tags\":[]}"));
        assertTrue(accepts(s, "{\"id\":\"x\\\"y\",\"tags\":[\"a\",\"bb\",\"c\"],\"note\":\"n\"}"));
        assertTrue(accepts(s, "{\"id\":\"\\u00e9\",\"tags\":[\"c\"]}"));
        assertNull(s.advance("{\"id\":\"x\",\"tags\":[\"a\",\"a\",\"a\",\"a\"]}"), "4 items > maxItems 3");
        assertNull(s.advance("{\"id\":\"x\",\"tags\":[\"d\"]"), "tag outside the enum");
        assertNull(s.advance("{\"tags\":[]}"), "required id missing");
        assertNull(s.advance("{\"id\":\"x\",\"tags\":[],\"other\":1}"), "unknown property");
        assertNull(s.advance("{\"id\":\"a\nb\""), "raw control character in a string");
        assertTrue(!accepts(s, "{\"id\":\"x\",\"tags\":[\"a\""), "an unfinished document is not accepted");
    }

    @Test
    void shortestCompletionIsExact() throws Exception {
        GrammarState s = start(TAGS);
        assertEquals("{\"id\":\"\",\"tags\":[]}".length(), s.minCompletionLength());
        GrammarState inTags = s.advance("{\"id\":\"abc\",\"tags\":[\"b");
        assertNotNull(inTags);
        assertEquals("b\"]}".length(), inTags.minCompletionLength());
        assertTrue(s.advance("{\"id\":\"abc\",\"tags\":[\"bb\"]}").finished());
    }

    @Test
    void numbersBooleansAndNull() throws Exception {
        GrammarState s = start("""
                {"type": "object", "properties": {"i": {"type": "integer"}, "n": {"type": "number"}, "b": {"type": "boolean"},
                 "z": {"type": ["null", "integer"]}}, "required": ["i", "n", "b", "z"]}""");
        assertTrue(accepts(s, "{\"i\":-12,\"n\":3.5e-2,\"b\":false,\"z\":null}"));
        assertTrue(accepts(s, "{\"i\":0,\"n\":0,\"b\":true,\"z\":7}"));
        assertNull(s.advance("{\"i\":01"), "leading zero");
        assertNull(s.advance("{\"i\":1.5"), "fraction in an integer");
    }

    @Test
    void unsupportedKeywordsAreRefused() {
        assertThrows(InputException.class, () -> start("{\"type\": \"string\", \"pattern\": \"a+\"}"));
        assertThrows(InputException.class, () -> start("{\"allOf\": [{}]}"));
    }

    @Test
    void jsonObjectModeAcceptsAnyObject() throws Exception {
        GrammarState s = start("{}");
        assertTrue(accepts(s, "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}"));
        assertTrue(accepts(s, "[true]"));
    }
}
