package dev.longlm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code generate --prompt-cache} and {@code chat --prompt-cache} on the bundled model under Self-Extend:
 * a second run reuses what the first saved and prints exactly what a run without the cache prints; a
 * cache made under another method is refused with one line.
 */
class PromptCacheCommandTest {
    @TempDir
    Path dir;

    record Run(int exitCode, String stdout, String stderr) {
    }

    static Run run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        PrintStream originalOut = System.out;
        InputStream originalIn = System.in;
        try (PrintStream capturedErr = new PrintStream(err, true, StandardCharsets.UTF_8);
             PrintStream capturedOut = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            System.setErr(capturedErr);
            System.setOut(capturedOut);
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            var cmd = Main.commandLine();
            cmd.setErr(new PrintWriter(capturedErr, true));
            int code = cmd.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(originalErr);
            System.setOut(originalOut);
            System.setIn(originalIn);
        }
    }

    private static String story(int sentences) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < sentences; i++) {
            text.append(i % 2 == 0 ? "Tom had a red ball. " : "Lily saw a big tree near the house. ");
        }
        return text.toString();
    }

    private Run generate(String prompt, Path cache, String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "-t", "2", "-p", prompt, "-n", "8", "--temp", "0", "--no-echo",
                "--group-size", "4", "--window", "32", "--ctx", "600"));
        if (cache != null) {
            args.addAll(List.of("--prompt-cache", cache.toString()));
        }
        args.addAll(List.of(extra));
        return run("", args.toArray(String[]::new));
    }

    @Test
    void generateReusesItsCacheAndPrintsWhatAColdRunPrints() throws Exception {
        Path cache = dir.resolve("story.kv");
        String prompt = story(40);
        Run first = generate(prompt, cache);
        assertEquals(0, first.exitCode(), first.stderr());
        assertTrue(Files.size(cache) > 0);
        assertFalse(first.stderr().contains("reused"), first.stderr());

        Run again = generate(prompt, cache);
        assertEquals(0, again.exitCode(), again.stderr());
        java.util.regex.Matcher counts = java.util.regex.Pattern.compile("prompt cache: (\\d+) of (\\d+) prompt tokens reused")
                .matcher(again.stderr());
        assertTrue(counts.find(), again.stderr());
        assertEquals(Integer.parseInt(counts.group(2)) - 1, Integer.parseInt(counts.group(1)), "all but the last prompt token");
        assertEquals(first.stdout(), again.stdout());

        // A prompt sharing most of the first: the shared part comes from the cache, under Self-Extend's window too.
        String other = story(30) + "The dog ran to the park and";
        Run shared = generate(other, cache);
        Run cold = generate(other, null);
        assertEquals(0, shared.exitCode(), shared.stderr());
        assertTrue(shared.stderr().contains("prompt cache: "), shared.stderr());
        int reused = Integer.parseInt(shared.stderr().replaceAll("(?s).*prompt cache: (\\d+) of.*", "$1"));
        assertTrue(reused > 230, shared.stderr());
        assertEquals(cold.stdout(), shared.stdout());

        Run otherMethod = run("", "generate", "-t", "2", "-p", prompt, "-n", "4", "--group-size", "8", "--window", "32",
                "--ctx", "600", "--prompt-cache", cache.toString());
        assertEquals(2, otherMethod.exitCode(), otherMethod.stderr());
        String line = otherMethod.stderr().strip();
        assertTrue(line.startsWith("longlm: ") && line.contains("computed under 'self-extend G4 W32'") && !line.contains("\tat "), line);
    }

    @Test
    void chatReusesItsSystemPromptFromTheCache() {
        Path cache = dir.resolve("chat.kv");
        String system = story(20);
        String[] args = {"chat", "-t", "2", "--system", system, "-n", "6", "--temp", "0", "--group-size", "4", "--window", "32",
                "--ctx", "600", "--prompt-cache", cache.toString()};
        Run first = run("Hello there\n", args);
        assertEquals(0, first.exitCode(), first.stderr());
        Run second = run("Hello there\n", args);
        assertEquals(0, second.exitCode(), second.stderr());
        assertTrue(second.stderr().contains("the prompt cache holds"), second.stderr());
        assertEquals(first.stdout(), second.stdout());
        String[] cold = java.util.Arrays.copyOf(args, args.length - 2);
        assertEquals(run("Hello there\n", cold).stdout(), second.stdout());
    }

    private static int ringKeys(Run run) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("KV cache .* (\\d+) ring keys").matcher(run.stderr());
        assertTrue(m.find(), run.stderr());
        return Integer.parseInt(m.group(1));
    }

    /**
     * Without --prompt-cache a Self-Extend run keeps the W true-position keys of its window, as plain
     * attention plus W keys per layer; with it, every position's, so any prefix may be kept later.
     */
    @Test
    void onlyAPromptCacheRunKeepsATrueKeyOfEveryPosition() throws Exception {
        String prompt = story(40);
        Run plain = generate(prompt, null);
        assertEquals(0, plain.exitCode(), plain.stderr());
        assertEquals(32, ringKeys(plain), "--window 32");
        Path text = dir.resolve("story.txt");
        Files.writeString(text, prompt);
        Run score = run("", "score", "-t", "2", "--text-file", text.toString(), "--group-size", "4", "--window", "32");
        assertEquals(0, score.exitCode(), score.stderr());
        assertEquals(32, ringKeys(score), "--window 32");
        Run cached = generate(prompt, dir.resolve("story.kv"));
        assertEquals(0, cached.exitCode(), cached.stderr());
        assertEquals(600, ringKeys(cached), "--ctx 600");
    }

    /** What the memory check counts for a session is what its store then allocates, with and without the prompt cache. */
    @Test
    void theMemoryCheckCountsTheRingThatIsAllocated() throws Exception {
        try (var model = dev.longlm.model.Model.load(Path.of("models/pd-llama-13m-ctx256-f16.gguf"));
             var backend = new dev.longlm.backend.cpu.CpuBackend(2)) {
            var method = dev.longlm.attention.ContextMethod.selfExtend(4, 32);
            int capacity = 600;
            var fresh = dev.longlm.generate.Session.create(model, backend, method, capacity);
            assertEquals(SessionMemory.estimate(backend, model, capacity, method.positionScheme().ringSlots(), false).kvCacheBytes(),
                    fresh.sequence().store().allocatedBytes());
            var cached = new PromptCache(dir.resolve("memory.kv")).open(model, backend, method, capacity, System.err);
            long withRing = SessionMemory.estimate(backend, model, capacity, PromptCache.ringSlots(method, capacity), false).kvCacheBytes();
            assertEquals(withRing, cached.sequence().store().allocatedBytes());
            long keysPerPosition = (long) model.config().layers() * model.config().kvDim() * Float.BYTES;
            long plain = 2 * capacity * keysPerPosition;
            assertEquals(plain + 32 * keysPerPosition, fresh.sequence().store().allocatedBytes(), "plain attention's cache + W keys");
            assertEquals(3 * plain / 2, withRing, "a second copy of the keys: 1.5 times plain attention's cache");
        }
    }
}
