package dev.longlm.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultFilesTest {
    private static final List<ResultRow> ROWS = List.of(
            ResultRow.builder().put("length", 1024).putAll(Map.of("method", "self-extend"))
                    .put("group_size", 16).put("window", 64).put("trials", 20).put("accuracy", 0.9).build(),
            ResultRow.builder().put("length", 2048).put("method", "yarn").put("factor", 8.0).put("trials", 20)
                    .put("accuracy", Double.NaN).put("note", "a \"quoted\", comma\nline").build());

    @Test
    void jsonHasOneObjectPerCell() throws Exception {
        StringWriter w = new StringWriter();
        ResultFiles.writeJson(ROWS, w);
        assertEquals("""
                [
                  {"length": 1024, "method": "self-extend", "group_size": 16, "window": 64, "trials": 20, "accuracy": 0.9},
                  {"length": 2048, "method": "yarn", "factor": 8, "trials": 20, "accuracy": null, "note": "a \\"quoted\\", comma\\nline"}
                ]
                """, w.toString());
        // An independent parser reads it back.
        JsonNode tree = new ObjectMapper().readTree(w.toString());
        assertEquals(2, tree.size());
        assertEquals(0.9, tree.get(0).get("accuracy").asDouble());
        assertEquals("a \"quoted\", comma\nline", tree.get(1).get("note").asText());
        assertTrue(tree.get(1).get("accuracy").isNull());
    }

    @Test
    void csvHasTheUnionOfColumnsAndQuotes() throws Exception {
        StringWriter w = new StringWriter();
        ResultFiles.writeCsv(ROWS, w);
        assertEquals("length,method,group_size,window,trials,accuracy,factor,note\r\n"
                + "1024,self-extend,16,64,20,0.9,,\r\n"
                + "2048,yarn,,,20,,8,\"a \"\"quoted\"\", comma\nline\"\r\n", w.toString());
    }

    @Test
    void emptyListsAreValid() throws Exception {
        StringWriter json = new StringWriter();
        ResultFiles.writeJson(List.of(), json);
        assertEquals(0, new ObjectMapper().readTree(json.toString()).size());
    }
}
