package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
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
        return searchIn(folder);
    }

    /** The graph counters of the fake that {@link #search} built (see {@link #graphCounts(Path)}). */
    static synchronized long[] graphCounts() {
        search();
        return graphCounts(folder);
    }

    /**
     * The counters of the fake in {@code folder} since it was loaded: captures ended, graph launches, nodes those
     * launches ran, kernel nodes updated ({@code fake_cuda_graph_counts}).
     */
    static long[] graphCounts(Path folder) {
        // The driver bindings loaded this file through its libcuda.so.1 link; the dynamic linker hands back that copy.
        SymbolLookup lookup = SymbolLookup.libraryLookup(folder.resolve("libfakecuda.so"), Arena.global());
        MethodHandle counts = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("fake_cuda_graph_counts"),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG, 4);
            counts.invokeExact(out);
            return out.toArray(ValueLayout.JAVA_LONG);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot read the fake driver's graph counters", t);
        }
    }

    /** A search that finds only the libraries in {@code folder} (as made by {@link #buildInto}). */
    static LibrarySearch searchIn(Path folder) {
        return new LibrarySearch(folder.resolve("no-system"), Map.of(LibrarySearch.OVERRIDE_VARIABLE, folder.toString()),
                "", "amd64");
    }

    private static Path build() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("longlm-fake-cuda");
        dir.toFile().deleteOnExit();  // after its files, which are registered later and deleted first
        for (Path file : buildInto(dir)) {
            file.toFile().deleteOnExit();
        }
        return dir;
    }

    /**
     * Compiles the fake into {@code dir} and links it there under the CUDA libraries' names; returns
     * the files made (the compiler's log among them).
     */
    static List<Path> buildInto(Path dir) throws IOException, InterruptedException {
        Path source = dir.resolve("fake_cuda.c");
        Path library = dir.resolve("libfakecuda.so");
        Path log = dir.resolve("cc.log");
        List<Path> made = new ArrayList<>(List.of(source, library, log));
        try (InputStream in = FakeCuda.class.getResourceAsStream("fake/fake_cuda.c")) {
            Files.copy(in, source, StandardCopyOption.REPLACE_EXISTING);
        }
        // Compiled under another name and renamed: a process that has the previous build loaded keeps it intact.
        Path compiled = dir.resolve("libfakecuda.so.tmp");
        Process cc = new ProcessBuilder("cc", "-shared", "-fPIC", "-O2", "-o", compiled.toString(), source.toString(), "-lm", "-ldl")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!cc.waitFor(120, TimeUnit.SECONDS) || cc.exitValue() != 0) {
            cc.destroyForcibly();
            throw new IOException("cc failed: " + Files.readString(log).strip());
        }
        Files.move(compiled, library, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        for (String name : LIBRARY_NAMES) {
            Path link = dir.resolve(name);
            Files.deleteIfExists(link);
            made.add(Files.createSymbolicLink(link, library.getFileName()));
        }
        return made;
    }

    /** The names the bindings look for (CUDA 13's sonames). */
    private static final List<String> LIBRARY_NAMES = List.of("libcuda.so.1", "libcublas.so.13", "libcublasLt.so.13", "libnvrtc.so.13");
}
