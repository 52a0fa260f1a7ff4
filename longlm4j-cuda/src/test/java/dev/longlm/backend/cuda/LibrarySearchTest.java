package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Library discovery on fake system trees: files named like CUDA's libraries in temporary folders. */
class LibrarySearchTest {
    @TempDir
    Path root;

    private Path touch(String relative) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[] {1});
        return file;
    }

    private LibrarySearch search(Map<String, String> env, String ldconfig) {
        return new LibrarySearch(root, env, ldconfig, "amd64");
    }

    @Test
    void prefersTheNewestMajorTheDriverSupports() throws IOException {
        Path old = touch("usr/local/cuda-12.8/lib64/libcublas.so.12");
        Path current = touch("usr/local/cuda-13.0/targets/x86_64-linux/lib/libcublas.so.13");
        LibrarySearch s = search(Map.of(), "");
        assertEquals(Optional.of(current), s.find(CudaLibrary.CUBLAS, 13));
        assertEquals(Optional.of(old), s.find(CudaLibrary.CUBLAS, 12), "a CUDA 12 driver cannot run cuBLAS 13");
        assertEquals(Optional.empty(), s.find(CudaLibrary.CUBLAS, 11));
    }

    @Test
    void aPreferredNameAnywhereBeatsAFallbackNameEarlierInTheOrder() throws IOException {
        touch("ld/libcublas.so.12");
        Path wheel = touch("venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13");
        LibrarySearch s = search(Map.of("LD_LIBRARY_PATH", root.resolve("ld").toString(),
                "VIRTUAL_ENV", root.resolve("venv").toString()), "");
        assertEquals(Optional.of(wheel), s.find(CudaLibrary.CUBLAS, 13));
    }

    @Test
    void followsTheDynamicLinkersOrderThenToolkitsThenWheels() throws IOException {
        Path override = touch("override/libnvrtc.so.13");
        Path ld = touch("ld/libnvrtc.so.13");
        Path cached = touch("cache/libnvrtc.so.13");
        Path home = touch("toolkit/lib64/libnvrtc.so.13");
        touch("usr/local/cuda/lib64/libnvrtc.so.13");
        String ldconfig = "\tlibnvrtc.so.13 (libc6,x86-64) => " + cached + "\n";
        Map<String, String> env = Map.of("LONGLM_CUDA_LIBRARY_PATH", root.resolve("override").toString(),
                "LD_LIBRARY_PATH", "/nonexistent:" + root.resolve("ld"), "CUDA_HOME", root.resolve("toolkit").toString());
        assertEquals(Optional.of(override), search(env, ldconfig).find(CudaLibrary.NVRTC, 13));
        Map<String, String> noOverride = Map.of("LD_LIBRARY_PATH", root.resolve("ld").toString(),
                "CUDA_HOME", root.resolve("toolkit").toString());
        assertEquals(Optional.of(ld), search(noOverride, ldconfig).find(CudaLibrary.NVRTC, 13));
        Map<String, String> toolkitOnly = Map.of("CUDA_HOME", root.resolve("toolkit").toString());
        assertEquals(Optional.of(cached), search(toolkitOnly, ldconfig).find(CudaLibrary.NVRTC, 13));
        assertEquals(Optional.of(home), search(toolkitOnly, "").find(CudaLibrary.NVRTC, 13));
    }

    @Test
    void readsLdconfigForThisWordSizeFirstEntryWinning() throws IOException {
        Path lib32 = touch("usr/lib/i386-linux-gnu/libcuda.so.1");
        Path lib64 = touch("usr/lib/x86_64-linux-gnu/nvidia/current/libcuda.so.1");
        Path later = touch("elsewhere/libcuda.so.1");
        String ldconfig = "1234 libs found in cache `/etc/ld.so.cache'\n"
                + "\tlibcuda.so.1 (libc6) => " + lib32 + "\n"
                + "\tlibcuda.so.1 (libc6,x86-64) => " + lib64 + "\n"
                + "\tlibcuda.so.1 (libc6,x86-64) => " + later + "\n"
                + "\tlibcuda.so (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so\n";
        assertEquals(Map.of("libcuda.so.1", lib64, "libcuda.so", Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so")),
                LibrarySearch.parseLdconfig(ldconfig, "x86-64"));
        assertEquals(Optional.of(lib64), search(Map.of(), ldconfig).find(CudaLibrary.DRIVER, 0));
    }

    @Test
    void findsTheDriverInDistributionAndWslFolders() throws IOException {
        Path wsl = touch("usr/lib/wsl/lib/libcuda.so.1");
        assertEquals(Optional.of(wsl), search(Map.of(), "").find(CudaLibrary.DRIVER, 0));
        Path distro = touch("usr/lib/x86_64-linux-gnu/libcuda.so.1");
        assertEquals(Optional.of(distro), search(Map.of(), "").find(CudaLibrary.DRIVER, 0));
    }

    @Test
    void neverTakesAToolkitsLinkOnlyStubs() throws IOException {
        touch("usr/local/cuda/lib64/stubs/libcuda.so.1");
        LibrarySearch s = search(Map.of("LD_LIBRARY_PATH", root.resolve("usr/local/cuda/lib64/stubs").toString()), "");
        assertEquals(Optional.empty(), s.find(CudaLibrary.DRIVER, 0));
    }

    @Test
    void versionedToolkitsNewestFirstByNumberNotByName() throws IOException {
        touch("usr/local/cuda-12.8/lib64/libcublas.so.12");
        Path newest = touch("usr/local/cuda-12.10/lib64/libcublas.so.12");
        touch("usr/local/cuda-12.9/lib64/libcublas.so.12");
        assertEquals(Optional.of(newest), search(Map.of(), "").find(CudaLibrary.CUBLAS, 12));
    }

    @Test
    void findsBothWheelLayoutsInEverySitePackagesKind() throws IOException {
        Path cu13 = touch("home/u/.local/lib/python3.11/site-packages/nvidia/cu13/lib/libnvrtc.so.13");
        Path cu12 = touch("usr/local/lib/python3.10/dist-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12");
        Path conda = touch("conda/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12");
        Map<String, String> env = Map.of("HOME", root.resolve("home/u").toString(),
                "CONDA_PREFIX", root.resolve("conda").toString());
        LibrarySearch s = search(env, "");
        assertEquals(Optional.of(cu13), s.find(CudaLibrary.NVRTC, 13));
        assertEquals(Optional.of(cu12), s.find(CudaLibrary.NVRTC, 12));
        assertEquals(Optional.of(conda), s.find(CudaLibrary.CUBLAS, 13));
        assertTrue(s.sitePackages().contains(root.resolve("conda/lib/python3.12/site-packages")));
    }

    @Test
    void pythonPathEntriesAreSitePackagesToo() throws IOException {
        Path lib = touch("pp/nvidia/cu13/lib/libcublas.so.13");
        LibrarySearch s = search(Map.of("PYTHONPATH", root.resolve("pp").toString()), "");
        assertEquals(Optional.of(lib), s.find(CudaLibrary.CUBLAS, 13));
    }

    @Test
    void aMissingLibraryIsOneLineWithWhereAndHow() throws IOException {
        Files.createDirectories(root.resolve("usr/local/cuda/lib64"));
        LibrarySearch s = search(Map.of(), "");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> s.require(CudaLibrary.CUBLAS, 13));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.startsWith("cuBLAS not found (looked for libcublas.so.13 or libcublas.so.12 in the ldconfig cache and "
                + root.resolve("usr/local/cuda/lib64")), m);
        assertTrue(m.contains("pip install nvidia-cublas (CUDA 13)"), m);
        assertTrue(m.endsWith("or set LONGLM_CUDA_LIBRARY_PATH to the folder that holds it"), m);
    }

    @Test
    void aMissingDriverSaysToInstallTheDriver() {
        String m = assertThrows(CudaUnavailableException.class,
                () -> search(Map.of(), "").require(CudaLibrary.DRIVER, 0)).getMessage();
        assertTrue(m.startsWith("the CUDA driver library not found (looked for libcuda.so.1 in the ldconfig cache);"), m);
        assertTrue(m.contains("install the NVIDIA driver"), m);
    }

    @Test
    void aDriverOlderThanCuda12SaysToUpdateIt() {
        String m = assertThrows(CudaUnavailableException.class,
                () -> search(Map.of(), "").require(CudaLibrary.NVRTC, 11)).getMessage();
        assertEquals("the NVIDIA driver supports CUDA 11 only; longlm's GPU backend needs CUDA 12 or newer: "
                + "update the NVIDIA driver", m);
    }

    @Test
    void cublasLtComesFromCublassFolderWithTheSameMajor() throws IOException {
        Path cublas = touch("usr/local/cuda/lib64/libcublas.so.13");
        Path lt = touch("usr/local/cuda/lib64/libcublasLt.so.13");
        touch("ld/libcublasLt.so.13");
        Path nvrtc = touch("wheel/nvidia/cu13/lib/libnvrtc.so.13");
        Path builtins = touch("wheel/nvidia/cu13/lib/libnvrtc-builtins.so.13.0");
        touch("wheel/nvidia/cu13/lib/libnvrtc-builtins.so.12.9");
        LibrarySearch s = search(Map.of("LD_LIBRARY_PATH", root.resolve("ld").toString(),
                "PYTHONPATH", root.resolve("wheel").toString()), "");
        assertEquals(new CudaLibraries(lt, cublas, nvrtc, Optional.of(builtins)), CudaLibraries.locate(s, 13));
    }

    @Test
    void cublasWithoutItsLtSaysSo() throws IOException {
        Path cublas = touch("usr/local/cuda/lib64/libcublas.so.12");
        touch("usr/local/cuda/lib64/libcublasLt.so.13");
        touch("usr/local/cuda/lib64/libnvrtc.so.12");
        String m = assertThrows(CudaUnavailableException.class,
                () -> CudaLibraries.locate(search(Map.of(), ""), 12)).getMessage();
        assertTrue(m.startsWith(cublas + " needs libcublasLt.so.12, which is not in its folder nor anywhere searched; "), m);
    }

    @Test
    void openingAGpuWithoutADriverFailsWithTheDiscoveryLine() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CudaDevice.open(0, search(Map.of(), ""), null));
        assertTrue(e.getMessage().startsWith("the CUDA driver library not found"), e.getMessage());
    }

    @Test
    void aFileThatIsNoLibraryIsReportedAsUnloadable() throws IOException {
        // An ELF executable (this JVM's launcher) named like the driver: dlopen refuses it.
        Path fake = root.resolve("usr/lib/x86_64-linux-gnu/libcuda.so.1");
        Files.createDirectories(fake.getParent());
        Files.copy(Path.of(ProcessHandle.current().info().command().orElseThrow()), fake);
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CudaDevice.open(0, search(Map.of(), ""), null));
        assertTrue(e.getMessage().startsWith("cannot load " + fake), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void fileNamesPerDriverMajor() {
        assertEquals(List.of("libcuda.so.1"), CudaLibrary.DRIVER.fileNames(13));
        assertEquals(List.of("libnvrtc.so.13", "libnvrtc.so.12"), CudaLibrary.NVRTC.fileNames(14));
        assertEquals(List.of("libcublasLt.so.12"), CudaLibrary.CUBLAS_LT.fileNames(12));
    }
}
