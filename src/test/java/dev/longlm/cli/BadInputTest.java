package dev.longlm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every kind of bad input ends with exit code 2 and one line on stderr that names the problem — no stack trace. */
class BadInputTest {
    static final Path MODEL = Path.of("models/pd-llama-13m-ctx256-f16.gguf");

    @TempDir
    Path dir;

    record Outcome(int exitCode, String stderr) {
    }

    static Outcome run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        PrintStream originalOut = System.out;
        try (PrintStream capture = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(capture);
            System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            var cmd = Main.commandLine();
            cmd.setErr(new PrintWriter(capture, true));
            int code = cmd.execute(args);
            return new Outcome(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(originalErr);
            System.setOut(originalOut);
        }
    }

    private static void assertOneLineError(Outcome o, String expectedFragment) {
        assertEquals(2, o.exitCode(), o.stderr());
        String[] lines = o.stderr().strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("longlm: "), o.stderr());
        assertTrue(last.contains(expectedFragment), "expected '" + expectedFragment + "' in: " + o.stderr());
        assertFalse(o.stderr().contains("\tat "), "no stack trace: " + o.stderr());
        assertFalse(o.stderr().contains("Exception"), "no exception names: " + o.stderr());
    }

    @Test
    void missingModelFile() {
        assertOneLineError(run("info", "-m", dir.resolve("nope.gguf").toString()), "no such file");
    }

    @Test
    void notAGgufFile() throws IOException {
        Path f = dir.resolve("bad.gguf");
        Files.writeString(f, "this is not a model, just some text");
        assertOneLineError(run("info", "-m", f.toString()), "bad magic");
    }

    @Test
    void truncatedModel() throws IOException {
        byte[] whole = Files.readAllBytes(MODEL);
        Path f = dir.resolve("truncated.gguf");
        Files.write(f, Arrays.copyOf(whole, whole.length / 2));
        assertOneLineError(run("generate", "-m", f.toString(), "-n", "1"), "truncated");
        Path header = dir.resolve("header.gguf");
        Files.write(header, Arrays.copyOf(whole, 5000));
        assertOneLineError(run("info", "-m", header.toString()), "truncated");
    }

    @Test
    void promptLongerThanTheContext() throws IOException {
        Path prompt = dir.resolve("long.txt");
        Files.writeString(prompt, "The grass is green. ".repeat(200));
        assertOneLineError(run("generate", "-f", prompt.toString(), "-n", "1"), "context holds 256");
        // With Self-Extend the message states the maximum and a group size that fits.
        assertOneLineError(run("generate", "-f", prompt.toString(), "-n", "1", "--group-size", "2", "--window", "64"),
                "maximum 448");
    }

    @Test
    void dcaAndReropeSettingsThatCannotHoldTheInput() throws IOException {
        Path prompt = dir.resolve("long.txt");
        Files.writeString(prompt, "The grass is green. ".repeat(200)); // about 1000 tokens on a model trained on 256
        assertOneLineError(run("generate", "-f", prompt.toString(), "-n", "1", "--rope-method", "dca", "--chunk-size", "192",
                "--local-window", "100"), "use --local-window 64 or less");
        assertOneLineError(run("generate", "-n", "1", "--rope-method", "dca", "--chunk-size", "32", "--local-window", "64"),
                "between 1 and the chunk size 32");
        assertOneLineError(run("generate", "-f", prompt.toString(), "-n", "1", "--rope-method", "rerope", "--window", "300"),
                "must be smaller than the trained context 256");
        assertOneLineError(run("generate", "-f", prompt.toString(), "-n", "1", "--rope-method", "leaky-rerope", "--window", "64",
                "--leak", "2"), "maximum 447 for leaky-rerope w64 k2");
        assertOneLineError(run("generate", "-n", "1", "--rope-method", "dca", "--leak", "2"), "--leak applies to --rope-method leaky-rerope");
        assertOneLineError(run("generate", "-n", "1", "--rope-method", "rerope", "--group-size", "4"), "--group-size applies to self-extend");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--temp=-1", "--top-p=0", "--bogus-flag", "-n=-7", "--threads=0", "--min-p=2"})
    void invalidGenerateFlags(String flag) {
        Outcome o = run("generate", flag, "-n", "1");
        assertEquals(2, o.exitCode(), o.stderr());
        assertFalse(o.stderr().contains("\tat "), o.stderr());
    }

    @Test
    void invalidSelfExtendSettings() {
        assertOneLineError(run("generate", "--group-size", "3", "--window", "64", "-n", "1"), "multiple of the group size");
        assertOneLineError(run("generate", "--group-size", "4", "-n", "1"), "--window");
        assertOneLineError(run("generate", "--rope-method", "alibi", "-n", "1"), "unknown --rope-method");
    }

    @Test
    void badTokensFile() throws IOException {
        Path f = dir.resolve("tokens.txt");
        Files.writeString(f, "1 450 banana 2");
        assertOneLineError(run("score", "--tokens-file", f.toString()), "not an integer");
        Files.writeString(f, "1 450 99999");
        assertOneLineError(run("score", "--tokens-file", f.toString()), "outside the vocabulary");
        assertOneLineError(run("score", "--tokens-file", dir.resolve("absent.txt").toString()), "no such file");
    }

    @Test
    void unsupportedArchitecture() throws IOException {
        // Patch the architecture string of a copy of the model: "llama" → "lxama" (same length).
        byte[] bytes = Files.readAllBytes(MODEL);
        byte[] needle = "llama".getBytes(StandardCharsets.US_ASCII);
        byte[] key = "general.architecture".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(bytes, key, 0);
        int value = indexOf(bytes, needle, at + key.length);
        bytes[value + 1] = 'x';
        Path f = dir.resolve("arch.gguf");
        Files.write(f, bytes);
        assertOneLineError(run("info", "-m", f.toString()), "unsupported architecture 'lxama'");
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
