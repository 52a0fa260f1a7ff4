package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.OutputFile;
import dev.longlm.gguf.GgmlType;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufValue;
import dev.longlm.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, defects 8 and 9: ordinary I/O failures end with one line and exit 2, and no command
 * leaves a half-written file or creates folders it was not asked for.
 */
class OutputFailureTest {
    @TempDir
    Path dir;

    private static void assertExit2(BadInputTest.Outcome o, String fragment) {
        assertEquals(Main.EXIT_BAD_INPUT, o.exitCode(), o.stderr());
        String[] lines = o.stderr().strip().split("\n");
        assertTrue(lines[lines.length - 1].startsWith("longlm: ") && lines[lines.length - 1].contains(fragment),
                "expected '" + fragment + "' in the last line of: " + o.stderr());
        assertFalse(o.stderr().contains("internal error") || o.stderr().contains("\tat "), o.stderr());
    }

    @Test
    void quantizeIntoAMissingFolderOrOntoADirectory() {
        assertExit2(BadInputTest.run("quantize", BadInputTest.MODEL.toString(), dir.resolve("no/such/dir/q.gguf").toString(), "q8_0"),
                "does not exist");
        assertFalse(Files.exists(dir.resolve("no")), "no folder was created");
        assertExit2(BadInputTest.run("quantize", BadInputTest.MODEL.toString(), dir.toString(), "q8_0"), "is a directory");
    }

    @Test
    void plotIntoAMissingFolderCreatesNothing() {
        Path plot = dir.resolve("nonexistent/dir/x.png");
        assertExit2(BadInputTest.run("passkey", "--lengths", "64", "--trials", "1", "--plot", plot.toString()), "does not exist");
        assertFalse(Files.exists(dir.resolve("nonexistent")), "the folder was not created");
    }

    /** A write that fails half-way leaves the earlier file byte for byte, and no temporary file. */
    @Test
    void anInterruptedWriteLeavesTheOldFile() throws IOException {
        Path target = dir.resolve("model.gguf");
        new GgufWriter().put("general.name", GgufValue.string("old")).write(target);
        byte[] before = Files.readAllBytes(target);
        GgufWriter failing = new GgufWriter().put("general.name", GgufValue.string("new"))
                .addTensor("t", new long[]{32, 64}, GgmlType.F32, new GgufWriter.TensorData() {
                    public long byteSize() {
                        return 32L * 64 * 4;
                    }

                    public void writeTo(GgufWriter.Sink sink) throws IOException {
                        sink.write(new byte[1000], 0, 1000);
                        throw new IOException("No space left on device");
                    }
                });
        InputException e = assertThrows(InputException.class, () -> failing.write(target));
        assertTrue(e.getMessage().contains("the disk is full"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
        try (GgufFile f = GgufFile.open(target)) {
            assertEquals("old", f.metadata().getString("general.name"));
        }
    }

    @Test
    void aCompletedWriteReplacesTheFileWithTheFoldersPermissions() throws IOException {
        Path target = dir.resolve("out.txt");
        Files.writeString(target, "old content that is longer than the new");
        OutputFile.replace(target, tmp -> Files.writeString(tmp, "new"));
        assertEquals("new", Files.readString(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a bind that succeeded would serve forever
    void servePortInUseAndUnresolvableHost() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertExit2(BadInputTest.run("serve", "--host", "127.0.0.1", "--port", String.valueOf(taken.getLocalPort())), "is in use");
        }
        assertExit2(BadInputTest.run("serve", "--host", "no-such-host.invalid", "--port", "0"), "does not resolve");
    }
}
