package dev.longlm.backend.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where the toolkit libraries the GPU backend loads were found (the driver is found first, on its
 * own, because its CUDA version decides which toolkit majors can run; see
 * {@link CudaLibrary#fileNames}).
 *
 * @param cublasLt      cuBLASLt of the same major version as {@code cublas}, from its folder if there
 * @param nvrtcBuiltins NVRTC's built-in headers library from {@code nvrtc}'s folder, if there
 */
public record CudaLibraries(Path cublasLt, Path cublas, Path nvrtc, Optional<Path> nvrtcBuiltins) {

    /** Finds cuBLAS (with its cuBLASLt) and NVRTC for a driver supporting CUDA {@code driverMajor}. */
    public static CudaLibraries locate(LibrarySearch search, int driverMajor) {
        Path cublas = search.require(CudaLibrary.CUBLAS, driverMajor);
        String major = majorSuffix(cublas);
        String ltName = "libcublasLt.so." + major;
        Path sibling = cublas.resolveSibling(ltName);
        Path cublasLt = Files.isRegularFile(sibling) ? sibling
                : search.find(CudaLibrary.CUBLAS_LT, List.of(ltName)).orElseThrow(() -> new CudaUnavailableException(
                        cublas + " needs " + ltName + ", which is not in its folder nor anywhere searched; "
                                + CudaLibrary.CUBLAS_LT.howToGet()));
        Path nvrtc = search.require(CudaLibrary.NVRTC, driverMajor);
        return new CudaLibraries(cublasLt, cublas, nvrtc, builtinsBeside(nvrtc));
    }

    /** {@code 13} for {@code libcublas.so.13}. */
    static String majorSuffix(Path library) {
        String name = library.getFileName().toString();
        return name.substring(name.lastIndexOf(".so.") + 4);
    }

    /**
     * NVRTC opens {@code libnvrtc-builtins.so.M.m} itself at its first compile; loading it first, from
     * NVRTC's own folder, makes that open find this copy even when the folder is on no search path.
     */
    private static Optional<Path> builtinsBeside(Path nvrtc) {
        String prefix = "libnvrtc-builtins.so." + majorSuffix(nvrtc);
        Path folder = nvrtc.getParent();
        if (folder == null) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Loads them in dependency order; cuBLASLt and NVRTC's builtins go first so that the dynamic linker reuses them. */
    Loaded load() {
        NativeLibrary lt = NativeLibrary.load(cublasLt);
        NativeLibrary blas = NativeLibrary.load(cublas);
        nvrtcBuiltins.ifPresent(NativeLibrary::load);
        return new Loaded(lt, blas, NativeLibrary.load(nvrtc));
    }

    record Loaded(NativeLibrary cublasLt, NativeLibrary cublas, NativeLibrary nvrtc) {
    }
}
