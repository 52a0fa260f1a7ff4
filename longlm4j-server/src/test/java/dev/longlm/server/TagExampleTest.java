package dev.longlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code examples/tag/tag.sh} as a user runs it (with jq and curl) against the server on the bundled
 * model: the whole README — several times the model's 256-token trained context, so under automatic
 * Self-Extend — goes in, and exactly {@code {"id": …, "tags": [≤ 3 entries of the list]}} comes out.
 */
class TagExampleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static boolean installed(String tool) {
        return List.of(System.getenv("PATH").split(":")).stream().anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }

    @Test
    void theWholeDocumentIsTaggedFromTheList() throws Exception {
        assumeTrue(installed("jq") && installed("curl"), "the example needs jq and curl");
        Path document = Path.of("README.md");
        Path tags = Path.of("examples/tag/tags.json");
        try (TestServer server = new TestServer(1, 2, null, 8192, null, List.of())) {
            int documentTokens = server.model.tokenizer().encode(Files.readString(document), false, false).length;
            assertTrue(documentTokens > 4 * server.model.config().contextLength(), documentTokens + " tokens");
            ProcessBuilder builder = new ProcessBuilder("bash", "examples/tag/tag.sh", document.toString(), tags.toString(), "readme-1");
            builder.environment().put("LONGLM_URL", server.baseUrl());
            Process process = builder.start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, process.waitFor(), err);

            System.out.println("tag.sh: " + out.strip() + " (" + err.strip() + ")");
            JsonNode answer = JSON.readTree(out);
            assertEquals(Set.of("id", "tags"), iterator(answer.fieldNames()));
            assertEquals("readme-1", answer.get("id").asText());
            assertTrue(answer.get("tags").size() <= 3, out);
            JsonNode list = JSON.readTree(tags.toFile());
            for (JsonNode tag : answer.get("tags")) {
                assertTrue(iterable(list).contains(tag), tag + " is an entry of the list");
            }
            int promptTokens = Integer.parseInt(err.replaceAll("(?s).*prompt (\\d+) tokens.*", "$1"));
            assertTrue(promptTokens > documentTokens, "the whole document was read: " + err);
            assertTrue(server.service.slots().getFirst().method().startsWith("self-extend"), server.service.slots().toString());
        }
    }

    private static Set<String> iterator(java.util.Iterator<String> names) {
        Set<String> set = new HashSet<>();
        names.forEachRemaining(set::add);
        return set;
    }

    private static List<JsonNode> iterable(JsonNode array) {
        List<JsonNode> out = new java.util.ArrayList<>();
        array.forEach(out::add);
        return out;
    }
}
