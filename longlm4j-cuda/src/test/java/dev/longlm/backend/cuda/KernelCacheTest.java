package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelCacheTest {
    private static final String SOURCE = "extern \"C\" __global__ void k() {}\n";
    private static final List<String> OPTIONS = List.of("--gpu-architecture=sm_90", "--std=c++17");
    private static final CompileTarget SM90 = new CompileTarget("sm_90", true);
    private static final byte[] CUBIN = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};

    @TempDir
    Path dir;

    @Test
    void keyIsTheSha256OfTheDocumentedText() {
        // printf 'longlm cuda kernel cache 1\nnvrtc 13.0\ntarget sm_90 cubin\noption --gpu-architecture=sm_90\n
        //         option --std=c++17\nsource 34\nextern "C" __global__ void k() {}\n' | sha256sum
        assertEquals("e06694d1d6d485fdd516efc654c72d51fb6e2aebae41a5347411bd7eabd61852",
                KernelCache.key(SOURCE, OPTIONS, "13.0", SM90));
    }

    @Test
    void keyChangesWithEveryInput() {
        String key = KernelCache.key(SOURCE, OPTIONS, "13.0", SM90);
        assertEquals(key, KernelCache.key(SOURCE, List.copyOf(OPTIONS), "13.0", new CompileTarget("sm_90", true)));
        assertNotEquals(key, KernelCache.key(SOURCE + " ", OPTIONS, "13.0", SM90));
        assertNotEquals(key, KernelCache.key(SOURCE, OPTIONS.reversed(), "13.0", SM90));
        assertNotEquals(key, KernelCache.key(SOURCE, List.of(OPTIONS.getFirst()), "13.0", SM90));
        assertNotEquals(key, KernelCache.key(SOURCE, OPTIONS, "13.1", SM90));
        assertNotEquals(key, KernelCache.key(SOURCE, OPTIONS, "13.0", new CompileTarget("sm_89", true)));
        assertNotEquals(key, KernelCache.key(SOURCE, OPTIONS, "13.0", new CompileTarget("sm_90", false)));
        // An option cannot be moved into the source's text: the source's length is part of the key.
        assertNotEquals(KernelCache.key("a", List.of(), "13.0", SM90),
                KernelCache.key("", List.of(), "13.0", SM90));
    }

    @Test
    void writesAtomicallyAndReadsBack() throws IOException {
        KernelCache cache = new KernelCache(dir.resolve("nested/cuda"));
        String key = KernelCache.key(SOURCE, OPTIONS, "13.0", SM90);
        assertTrue(cache.read("norms.cu", SM90, key).isEmpty());
        assertTrue(cache.write("norms.cu", SM90, key, CUBIN));
        assertArrayEquals(CUBIN, cache.read("norms.cu", SM90, key).orElseThrow());
        assertEquals(dir.resolve("nested/cuda/norms.cu-sm_90-" + key + ".cubin"), cache.file("norms.cu", SM90, key));
        byte[] replaced = {0x7f, 'E', 'L', 'F', 9};
        assertTrue(cache.write("norms.cu", SM90, key, replaced));
        assertArrayEquals(replaced, cache.read("norms.cu", SM90, key).orElseThrow());
        try (Stream<Path> files = Files.list(dir.resolve("nested/cuda"))) {
            assertEquals(List.of(cache.file("norms.cu", SM90, key)), files.toList(), "no temporary file is left");
        }
    }

    @Test
    void ignoresAMalformedFile() throws IOException {
        KernelCache cache = new KernelCache(dir);
        CompileTarget ptx = new CompileTarget("compute_90", false);
        Files.write(cache.file("a", SM90, "k"), new byte[] {'n', 'o', 't', 'E', 'L', 'F'});
        assertTrue(cache.read("a", SM90, "k").isEmpty());
        Files.write(cache.file("a", ptx, "k"), ".version 8.0 (no NUL)".getBytes());
        assertTrue(cache.read("a", ptx, "k").isEmpty());
        Files.write(cache.file("a", ptx, "k"), ".version 8.0\0".getBytes());
        assertTrue(cache.read("a", ptx, "k").isPresent());
    }

    @Test
    void anUnwritableCacheOnlyCostsCompileTime() throws IOException {
        Path notAFolder = Files.writeString(dir.resolve("file"), "x");
        KernelCache cache = new KernelCache(notAFolder.resolve("cuda"));
        assertFalse(cache.write("a", SM90, "k", CUBIN));
        assertTrue(cache.read("a", SM90, "k").isEmpty());
    }

    @Test
    void kernelNamesAreMadeSafeForFileNames() {
        KernelCache cache = new KernelCache(dir);
        assertEquals(dir.resolve("a_b_c.cu-sm_90-k.cubin"), cache.file("a/b c.cu", SM90, "k"));
    }

    @Test
    void defaultFolder() {
        assertEquals(Path.of("/c/cuda"), KernelCache.defaultFolder(Map.of("LONGLM_CACHE", "/c"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/longlm/cuda"), KernelCache.defaultFolder(Map.of(), "/home/u"));
    }
}
