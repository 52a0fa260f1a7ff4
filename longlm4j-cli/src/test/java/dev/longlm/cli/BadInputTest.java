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

    /** Issue 17, defect 2: the cache is estimated and refused before it is allocated, naming both sizes and the flags. */
    @Test
    void contextTooLargeForTheHeap() {
        // 6 layers x 10,000,000 positions x 64 x 2 x 4 bytes = 30.5 GiB, over the tests' 6 GiB heap.
        Outcome o = run("generate", "--ctx", "10000000", "--rope-method", "dynamic-ntk", "-n", "1");
        assertOneLineError(o, String.format(java.util.Locale.ROOT, "KV cache %.1f MiB", 6.0 * 10_000_000 * 64 * 2 * 4 / (1 << 20)));
        assertTrue(o.stderr().contains("the Java heap has") && o.stderr().contains("--ctx") && o.stderr().contains("-Xmx"), o.stderr());
        // -n near 2^31 under an unbounded method: no int overflow, the same clear refusal.
        assertOneLineError(run("generate", "-n", "2147483647", "--ctx", "10000000", "--rope-method", "streaming"), "KV cache");
        assertOneLineError(run("chat", "--ctx", "10000000", "--rope-method", "dynamic-ntk"), "KV cache");
    }

    @Test
    void corruptHyperParameterNamesItsKey() throws IOException {
        Path f = dev.longlm.model.HostileMetadataAccess.withMetadata(dir, "llama.attention.head_count",
                dev.longlm.gguf.GgufValue.uint32(0));
        assertOneLineError(run("info", "-m", f.toString()), "'llama.attention.head_count' = 0");
        assertOneLineError(run("generate", "-m", f.toString(), "-n", "1"), "'llama.attention.head_count' = 0");
    }

    @Test
    void fifoAsModel() throws Exception {
        Path fifo = dir.resolve("fifo.gguf");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is not available");
        assertOneLineError(run("info", "-m", fifo.toString()), "not a regular file");
    }

    /** Issue 17, defect 6: schemas that cannot be generated are refused before generating, with exit 2. */
    @Test
    void schemasThatCannotBeGenerated() throws IOException {
        Path cyclic = dir.resolve("cyclic.json");
        Files.writeString(cyclic, "{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}");
        assertOneLineError(run("generate", "--json-schema", cyclic.toString(), "-n", "8"), "$ref cycle");
        Path undefined = dir.resolve("undefined.json");
        Files.writeString(undefined, "{\"type\": \"object\", \"required\": [\"name\"]}");
        assertOneLineError(run("generate", "--json-schema", undefined.toString(), "-n", "8"), "required property 'name'");
        Path tooLong = dir.resolve("long.json");
        Files.writeString(tooLong, "{\"type\": \"string\", \"minLength\": 100}");
        assertOneLineError(run("generate", "--json-schema", tooLong.toString(), "-n", "8"), "fits in 8 tokens");
    }

    /** Issue 17, defect 10: a template that cannot render stops serve and chat at start-up (before binding a port). */
    @Test
    @org.junit.jupiter.api.Timeout(value = 2, unit = java.util.concurrent.TimeUnit.MINUTES,
            threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD) // the old code served forever
    void brokenChatTemplateIsRefusedAtStartUp() throws IOException {
        Path unknownFilter = dir.resolve("filter.jinja");
        Files.writeString(unknownFilter, "{% for m in messages %}{{ m.content | no_such_filter(3) }}{% endfor %}");
        Path raises = dir.resolve("raises.jinja");
        Files.writeString(raises, "{{ raise_exception('this template is broken') }}");
        Path syntax = dir.resolve("syntax.jinja");
        Files.writeString(syntax, "{% for m in messages %}{{ m.content }}");
        for (Path template : new Path[]{unknownFilter, raises, syntax}) {
            assertOneLineError(run("serve", "--port", "0", "--chat-template", template.toString()), "cannot render a one-message conversation");
            assertOneLineError(run("chat", "--chat-template", template.toString()), "cannot render a one-message conversation");
        }
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
