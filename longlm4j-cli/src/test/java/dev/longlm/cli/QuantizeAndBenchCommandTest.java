package dev.longlm.cli;

import dev.longlm.gguf.GgmlType;
import dev.longlm.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `longlm quantize` and `longlm bench` on the bundled model: what they write and how they reject bad input. */
class QuantizeAndBenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void quantizeWritesTheTargetType() {
        Path out = dir.resolve("q8.gguf");
        assertEquals(0, BadInputTest.run("quantize", BadInputTest.MODEL.toString(), out.toString(), "q8_0", "-t", "2").exitCode());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(GgmlType.Q8_0, f.tensor("blk.0.attn_q.weight").type());
        }
    }

    @Test
    void quantizeRejectsBadInput() {
        BadInputTest.Outcome missing = BadInputTest.run("quantize", dir.resolve("none.gguf").toString(), dir.resolve("o.gguf").toString(), "q4_0");
        assertEquals(Main.EXIT_BAD_INPUT, missing.exitCode());
        assertTrue(missing.stderr().contains("no such file"), missing.stderr());
        BadInputTest.Outcome type = BadInputTest.run("quantize", BadInputTest.MODEL.toString(), dir.resolve("o.gguf").toString(), "q3_xs");
        assertEquals(Main.EXIT_BAD_INPUT, type.exitCode());
        assertTrue(type.stderr().contains("q3_xs"), type.stderr());
    }

    @Test
    void benchPrintsJsonWithBothSpeeds() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("bench", "-m", BadInputTest.MODEL.toString(), "-p", "16", "-n", "4", "-r", "2",
                    "--ctx-depth", "8", "-b", "8", "-t", "2", "--json");
        } finally {
            System.setOut(original);
        }
        String json = out.toString(StandardCharsets.UTF_8).trim();
        assertEquals(0, code, json);
        assertTrue(json.startsWith("{\"prompt_tokens_per_s\": ") && json.contains("\"gen_tokens_per_s\": ")
                && json.contains("\"ctx_depth\": 8") && json.endsWith("}"), json);
    }

    @Test
    void benchRejectsNothingToMeasure() {
        BadInputTest.Outcome o = BadInputTest.run("bench", "-m", BadInputTest.MODEL.toString(), "-p", "0", "-n", "0");
        assertEquals(Main.EXIT_BAD_INPUT, o.exitCode());
        assertTrue(o.stderr().contains("nothing to measure"), o.stderr());
    }
}
