package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels give the same bits whichever JIT tier runs them: {@link KernelFingerprint} in a JVM
 * that only interprets, one that stops at C1, and one that compiles the kernels with C2 during a
 * warm-up, must print the same hashes. With {@code FloatVector.reduceLanes(ADD)} or
 * {@code lanewise(EXP)} in the kernels, the C2 run differs on nearly every line.
 */
class JitTierIndependenceTest {
    /** Rounds before the printed one, enough (with the lowered thresholds below) for C2 to compile every kernel. */
    private static final int WARM_UP_ROUNDS = 40;

    @Test
    void interpreterC1AndC2GiveTheSameBits() throws IOException, InterruptedException {
        List<String> interpreted = fingerprints(List.of("-Xint"), 0);
        int expectedLines = 2 * WeightMatrices.SUPPORTED.size()
                + (int) WeightMatrices.SUPPORTED.stream().filter(JitTierIndependenceTest::hasIntegerKernel).count() + 5;
        assertEquals(expectedLines, interpreted.size(), "one line per kernel: " + interpreted);
        assertEquals(interpreted, fingerprints(List.of("-XX:TieredStopAtLevel=1"), 0), "C1 against the interpreter");
        // -Xbatch: the program waits for each compilation; scaled thresholds: C2 compiles after tens of calls, not thousands
        assertEquals(interpreted, fingerprints(List.of("-Xbatch", "-XX:CompileThresholdScaling=0.05"), WARM_UP_ROUNDS),
                "C2 against the interpreter");
    }

    private static boolean hasIntegerKernel(GgmlType type) {
        return ActivationFormat.forWeights(type) != ActivationFormat.F32;
    }

    private static List<String> fingerprints(List<String> jvmFlags, int warmUp) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), KernelFingerprint.class.getName(),
                Integer.toString(warmUp)));
        Path output = Files.createTempFile("fingerprint", ".out");
        Path errors = Files.createTempFile("fingerprint", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(output.toFile()).redirectError(errors.toFile()).start();
            boolean exited = p.waitFor(10, TimeUnit.MINUTES);
            if (!exited) {
                p.destroyForcibly().waitFor();
            }
            assertTrue(exited && p.exitValue() == 0, jvmFlags + ": fingerprint JVM failed: " + Files.readString(errors));
            return Files.readAllLines(output, StandardCharsets.UTF_8);
        } finally {
            Files.delete(output);
            Files.delete(errors);
        }
    }
}
