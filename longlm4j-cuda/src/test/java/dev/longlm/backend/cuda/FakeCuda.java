package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The fake CUDA of the CPU tests (resource {@code fake/fake_cuda.c}), compiled with the system's C
 * compiler once per JVM into a temporary folder, where it stands under the names of the driver,
 * cuBLAS, cuBLASLt and NVRTC (symbolic links to one file, so the dynamic linker loads it once and
 * the four share its state). Tests that need it are skipped, with the reason, where no C compiler
 * runs.
 */
final class FakeCuda {
    private static Path folder;
    private static String unavailable;

    private FakeCuda() {
    }

    /** A search that finds only the fake libraries. */
    static synchronized LibrarySearch search() {
        if (folder == null && unavailable == null) {
            try {
                folder = build();
            } catch (IOException | InterruptedException e) {
                unavailable = "cannot build the fake CUDA library: " + e.getMessage();
            }
        }
        if (unavailable != null) {
            System.out.println("SKIPPED: " + unavailable);
            Assumptions.abort(unavailable);
        }
        return new LibrarySearch(folder.resolve("no-system"), Map.of(LibrarySearch.OVERRIDE_VARIABLE, folder.toString()),
                "", "amd64");
    }

    private static Path build() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("longlm-fake-cuda");
        dir.toFile().deleteOnExit();  // after its files, which are registered later and deleted first
        Path source = dir.resolve("fake_cuda.c");
        Path library = dir.resolve("libfakecuda.so");
        Path log = dir.resolve("cc.log");
        for (Path file : List.of(source, library, log)) {
            file.toFile().deleteOnExit();
        }
        try (InputStream in = FakeCuda.class.getResourceAsStream("fake/fake_cuda.c")) {
            Files.copy(in, source);
        }
        Process cc = new ProcessBuilder("cc", "-shared", "-fPIC", "-O1", "-o", library.toString(), source.toString(), "-lm")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!cc.waitFor(120, TimeUnit.SECONDS) || cc.exitValue() != 0) {
            cc.destroyForcibly();
            throw new IOException("cc failed: " + Files.readString(log).strip());
        }
        for (String name : List.of("libcuda.so.1", "libcublas.so.13", "libcublasLt.so.13", "libnvrtc.so.13")) {
            Path link = Files.createSymbolicLink(dir.resolve(name), library.getFileName());
            link.toFile().deleteOnExit();
        }
        return dir;
    }
}
