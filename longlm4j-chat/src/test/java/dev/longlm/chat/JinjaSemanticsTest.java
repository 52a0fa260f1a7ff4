package dev.longlm.chat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Python-Jinja behaviours chat templates rely on, rendered as Python's jinja2 renders them (fixture
 * from tools/golden/chat/make-jinja-semantics.py): {@code not x is test}, {@code loop.previtem/nextitem},
 * {@code items}, {@code trim}, {@code is iterable}, and look-alikes in text and strings left alone.
 */
class JinjaSemanticsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void rendersAsPythonJinja() throws IOException {
        JsonNode fixture = JSON.readTree(Path.of("src/test/resources/golden/chat/jinja-python-semantics.json").toFile());
        int cases = 0;
        for (JsonNode c : fixture.get("cases")) {
            JinjaChatTemplate template = new JinjaChatTemplate(c.get("name").asText(), c.get("template").asText(), "", "");
            Map<String, Object> context = JSON.convertValue(c.get("context"), new TypeReference<>() {
            });
            assertEquals(c.get("output").asText(), template.render(List.of(), false, context),
                    c.get("name").asText() + " with " + c.get("context"));
            cases++;
        }
        assertTrue(cases >= 14, cases + " cases");
    }
}
