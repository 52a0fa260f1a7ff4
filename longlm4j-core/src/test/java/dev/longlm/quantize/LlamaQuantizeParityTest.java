package dev.longlm.quantize;

import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end against llama.cpp: quantizes the bundled F16 test model with llama-quantize and with
 * {@link ModelQuantizer}, and requires the same tensor types and the same bytes. Skipped unless
 * a llama.cpp build ($LLAMACPP_DIR, default ~/.cache/longlm/llamacpp) and the model are present.
 */
class LlamaQuantizeParityTest {
    private static final Path MODEL = Path.of("models/pd-llama-13m-ctx256-f16.gguf");

    @TempDir
    Path dir;

    private static Path llamaQuantize() {
        String env = System.getenv("LLAMACPP_DIR");
        Path root = env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache/longlm/llamacpp");
        return root.resolve("build/bin/llama-quantize");
    }

    @ParameterizedTest
    // All ten targets matched when this was written; the K mix (the most rules) keeps the run short.
    @EnumSource(value = QuantTarget.class, names = {"Q4_K_M"})
    void sameTypesAndBytesAsLlamaQuantize(QuantTarget target) throws IOException, InterruptedException {
        Path tool = llamaQuantize();
        Assumptions.assumeTrue(Files.isExecutable(tool) && Files.exists(MODEL), "needs llama-quantize and " + MODEL);
        Path reference = dir.resolve("ref.gguf");
        Process p = new ProcessBuilder(tool.toString(), MODEL.toString(), reference.toString(), target.name(), "2")
                .redirectErrorStream(true).redirectOutput(dir.resolve("llama-quantize.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "llama-quantize failed, see its log");
        Path ours = dir.resolve("ours.gguf");
        ModelQuantizer.quantize(MODEL, ours, target, 2, ModelQuantizer.Progress.NONE);

        try (GgufFile ref = GgufFile.open(reference); GgufFile got = GgufFile.open(ours)) {
            assertEquals(ref.metadata().getInt("general.file_type"), got.metadata().getInt("general.file_type"));
            // llama-quantize sorts tensors by layer; the order in the file does not matter to readers
            assertEquals(new TreeSet<>(ref.tensors().keySet()), new TreeSet<>(got.tensors().keySet()));
            List<String> differing = new ArrayList<>();
            for (GgufTensorInfo r : ref.tensorList()) {
                GgufTensorInfo g = got.tensor(r.name());
                assertEquals(r.type(), g.type(), r.name());
                assertArrayEquals(r.shape(), g.shape(), r.name());
                if (ref.data(r).mismatch(got.data(g)) != -1) {
                    differing.add(r.name());
                }
            }
            assertEquals(List.of(), differing, "tensors whose bytes differ from llama-quantize's");
        }
    }
}
