package dev.longlm.backend.cuda;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds CUDA's shared libraries where users have them: in the order the dynamic linker would
 * ({@code LD_LIBRARY_PATH}, then the {@code ldconfig} cache), then a CUDA toolkit
 * ({@code CUDA_HOME}/{@code CUDA_PATH}, {@code /usr/local/cuda}, {@code /usr/local/cuda-*} newest
 * first, each in {@code lib64}, {@code lib} and {@code targets/<arch>/lib}), the distribution's
 * folders ({@code /usr/lib/<arch>-linux-gnu}, {@code /usr/lib64}, {@code /usr/local/nvidia/lib64},
 * WSL's {@code /usr/lib/wsl/lib}), and last NVIDIA's Python wheels ({@code nvidia/cu13/lib},
 * {@code nvidia/cublas/lib}, ... under every site-packages folder of a virtualenv, conda, the user's
 * {@code ~/.local}, {@code /usr/local}, {@code /usr}, {@code /opt/conda} or {@code PYTHONPATH}).
 * {@code LONGLM_CUDA_LIBRARY_PATH} (folders separated by ':') comes before all of them.
 *
 * <p>A toolkit's {@code lib64/stubs} is never searched: its {@code libcuda.so} only links, it
 * cannot run anything.
 *
 * <p>Everything it reads is injected (a root for the fixed system folders, the environment, the
 * output of {@code ldconfig -p}), so tests run it on temporary folders.
 */
public final class LibrarySearch {
    /** Folders to search before any other, separated by ':'. */
    public static final String OVERRIDE_VARIABLE = "LONGLM_CUDA_LIBRARY_PATH";

    private static final Pattern LDCONFIG_LINE = Pattern.compile("^\\s*(\\S+)\\s+\\(([^)]*)\\)\\s+=>\\s+(\\S.*)$");
    private static final Pattern CUDA_VERSION_FOLDER = Pattern.compile("cuda-(\\d+)(?:\\.(\\d+))?");
    private static final Pattern PYTHON_FOLDER = Pattern.compile("python3(?:\\.(\\d+))?");

    private final Path root;
    private final Map<String, String> env;
    private final Map<String, Path> ldconfigCache;
    private final String arch;

    /**
     * @param root           prefix of the fixed system folders ({@code /} on a real system)
     * @param env            the environment variables to read
     * @param ldconfigOutput what {@code ldconfig -p} prints (empty where it cannot run)
     * @param arch           the JVM's {@code os.arch} ({@code amd64} or {@code aarch64})
     */
    public LibrarySearch(Path root, Map<String, String> env, String ldconfigOutput, String arch) {
        this.root = root;
        this.env = Map.copyOf(env);
        this.arch = arch;
        this.ldconfigCache = parseLdconfig(ldconfigOutput, ldconfigFlag(arch));
    }

    /** This process's view: the real file system, environment and ldconfig cache. */
    public static LibrarySearch ofSystem() {
        return new LibrarySearch(Path.of("/"), System.getenv(), runLdconfig(), System.getProperty("os.arch"));
    }

    /**
     * The first of {@code library}'s file names (see {@link CudaLibrary#fileNames}) found in the
     * search order; all places are searched for a preferred name before a fallback name.
     */
    public Optional<Path> find(CudaLibrary library, int driverMajor) {
        return find(library, library.fileNames(driverMajor));
    }

    /** The first of {@code names} found in the places searched for {@code library}. */
    public Optional<Path> find(CudaLibrary library, List<String> names) {
        List<Path> before = foldersBeforeLdconfig();
        List<Path> after = folders(library);
        for (String name : names) {
            Optional<Path> found = firstIn(before, name);
            if (found.isEmpty()) {
                Path cached = ldconfigCache.get(name);
                found = cached != null && Files.isRegularFile(cached) ? Optional.of(cached) : firstIn(after, name);
            }
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> firstIn(List<Path> folders, String name) {
        return folders.stream().map(f -> f.resolve(name)).filter(Files::isRegularFile).findFirst();
    }

    /** {@link #find}, or a {@link CudaUnavailableException} saying where it looked and what to do. */
    public Path require(CudaLibrary library, int driverMajor) {
        return find(library, driverMajor).orElseThrow(() -> new CudaUnavailableException(missingMessage(library, driverMajor)));
    }

    /** The one line for a library that is not found. */
    String missingMessage(CudaLibrary library, int driverMajor) {
        List<String> names = library.fileNames(driverMajor);
        if (names.isEmpty()) {
            return "the NVIDIA driver supports CUDA " + driverMajor + " only; longlm's GPU backend needs CUDA "
                    + CudaLibrary.TOOLKIT_MAJORS.getLast() + " or newer: update the NVIDIA driver";
        }
        List<Path> searched = new ArrayList<>(foldersBeforeLdconfig());
        searched.addAll(folders(library));
        String where = "the ldconfig cache" + (searched.isEmpty() ? "" : " and " + join(searched));
        return library.title() + " not found (looked for " + String.join(" or ", names) + " in " + where + "); "
                + library.howToGet() + ", or set " + OVERRIDE_VARIABLE + " to the folder that holds it";
    }

    /** Existing folders from {@value #OVERRIDE_VARIABLE} and {@code LD_LIBRARY_PATH}, in order. */
    List<Path> foldersBeforeLdconfig() {
        LinkedHashSet<Path> folders = new LinkedHashSet<>();
        addPathList(folders, env.get(OVERRIDE_VARIABLE));
        addPathList(folders, env.get("LD_LIBRARY_PATH"));
        return existing(folders);
    }

    /** Existing folders searched after the ldconfig cache for {@code library}, in order. */
    List<Path> folders(CudaLibrary library) {
        LinkedHashSet<Path> folders = new LinkedHashSet<>();
        for (String variable : List.of("CUDA_HOME", "CUDA_PATH")) {
            String value = env.get(variable);
            if (value != null && !value.isBlank()) {
                addToolkit(folders, Path.of(value));
            }
        }
        Path usrLocal = root.resolve("usr/local");
        addToolkit(folders, usrLocal.resolve("cuda"));
        for (Path toolkit : versionedToolkits(usrLocal)) {
            addToolkit(folders, toolkit);
        }
        folders.add(root.resolve("usr/lib").resolve(gnuTriplet()));
        folders.add(root.resolve("usr/lib64"));
        folders.add(root.resolve("usr/local/nvidia/lib64"));
        folders.add(root.resolve("usr/lib/wsl/lib"));
        if (!library.wheelFolders().isEmpty()) {
            String conda = env.get("CONDA_PREFIX");
            if (conda != null && !conda.isBlank()) {
                folders.add(Path.of(conda).resolve("lib"));
            }
            for (Path sitePackages : sitePackages()) {
                for (String wheel : library.wheelFolders()) {
                    folders.add(sitePackages.resolve(wheel));
                }
            }
        }
        List<Path> result = existing(folders);
        result.removeAll(foldersBeforeLdconfig());
        return result;
    }

    /** Python site-packages folders that exist, most specific (virtualenv, conda) first. */
    List<Path> sitePackages() {
        LinkedHashSet<Path> prefixes = new LinkedHashSet<>();
        for (String variable : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String value = env.get(variable);
            if (value != null && !value.isBlank()) {
                prefixes.add(Path.of(value));
            }
        }
        String home = env.get("HOME");
        if (home != null && !home.isBlank()) {
            prefixes.add(Path.of(home).resolve(".local"));
        }
        prefixes.add(root.resolve("usr/local"));
        prefixes.add(root.resolve("usr"));
        prefixes.add(root.resolve("opt/conda"));
        LinkedHashSet<Path> result = new LinkedHashSet<>();
        addPathList(result, env.get("PYTHONPATH"));
        for (Path prefix : prefixes) {
            for (Path python : pythonFolders(prefix.resolve("lib"))) {
                result.add(python.resolve("site-packages"));
                result.add(python.resolve("dist-packages"));
            }
        }
        result.add(root.resolve("usr/lib/python3/dist-packages"));
        return existing(result);
    }

    private void addToolkit(LinkedHashSet<Path> folders, Path toolkit) {
        folders.add(toolkit.resolve("lib64"));
        folders.add(toolkit.resolve("lib"));
        folders.add(toolkit.resolve("targets").resolve(toolkitTarget()).resolve("lib"));
    }

    /** {@code /usr/local/cuda-13.0}, {@code cuda-12.8}, ... newest version first. */
    private static List<Path> versionedToolkits(Path usrLocal) {
        return listMatching(usrLocal, CUDA_VERSION_FOLDER);
    }

    /** {@code lib/python3.12}, {@code lib/python3.11}, ... newest first. */
    private static List<Path> pythonFolders(Path lib) {
        return listMatching(lib, PYTHON_FOLDER);
    }

    /** Sub-folders whose whole name matches {@code pattern}, by the pattern's numbers, highest first. */
    private static List<Path> listMatching(Path parent, Pattern pattern) {
        if (!Files.isDirectory(parent)) {
            return List.of();
        }
        List<Path> matches = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent)) {
            for (Path entry : entries) {
                if (pattern.matcher(entry.getFileName().toString()).matches() && Files.isDirectory(entry)) {
                    matches.add(entry);
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        Comparator<Path> byVersion = Comparator.comparingLong(p -> versionKey(pattern, p));
        matches.sort(byVersion.reversed().thenComparing(Comparator.naturalOrder()));
        return matches;
    }

    private static long versionKey(Pattern pattern, Path folder) {
        Matcher m = pattern.matcher(folder.getFileName().toString());
        if (!m.matches()) {
            return -1;
        }
        long key = 0;
        for (int g = 1; g <= m.groupCount(); g++) {
            String part = m.group(g);
            key = key * 10_000 + (part == null ? 0 : Math.min(9_999, Long.parseLong(part)));
        }
        return key;
    }

    private static void addPathList(LinkedHashSet<Path> folders, String list) {
        if (list == null) {
            return;
        }
        for (String part : list.split(":")) {
            if (!part.isBlank()) {
                folders.add(Path.of(part));
            }
        }
    }

    /** The folders that exist, normalized, without duplicates and without a toolkit's link-only {@code stubs}. */
    private static List<Path> existing(LinkedHashSet<Path> folders) {
        LinkedHashSet<Path> normalized = new LinkedHashSet<>();
        for (Path folder : folders) {
            Path p = folder.toAbsolutePath().normalize();
            boolean stubs = p.getFileName() != null && p.getFileName().toString().equals("stubs");
            if (!stubs && Files.isDirectory(p)) {
                normalized.add(p);
            }
        }
        return new ArrayList<>(normalized);
    }

    private String gnuTriplet() {
        return isArm() ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
    }

    private String toolkitTarget() {
        return isArm() ? "sbsa-linux" : "x86_64-linux";
    }

    private boolean isArm() {
        return arch.equals("aarch64") || arch.equals("arm64");
    }

    private static String ldconfigFlag(String arch) {
        return switch (arch) {
            case "aarch64", "arm64" -> "AArch64";
            case "amd64", "x86_64" -> "x86-64";
            default -> "";
        };
    }

    /**
     * File name → path from {@code ldconfig -p}, whose lines read
     * {@code \tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1}. Entries for
     * another word size (a 32-bit {@code libc6} line) are skipped when {@code archFlag} is known;
     * the first entry of a name wins, as it does for the dynamic linker.
     */
    static Map<String, Path> parseLdconfig(String output, String archFlag) {
        Map<String, Path> cache = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            Matcher m = LDCONFIG_LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            if (!archFlag.isEmpty() && !m.group(2).contains(archFlag)) {
                continue;
            }
            cache.putIfAbsent(m.group(1), Path.of(m.group(3).trim()));
        }
        return cache;
    }

    private static String join(List<Path> folders) {
        List<String> names = folders.stream().map(Path::toString).toList();
        return String.join(", ", names);
    }

    /** {@code ldconfig -p}'s output, or "" where it is missing, fails or takes over 5 seconds. */
    private static String runLdconfig() {
        for (String exe : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig")) {
            if (exe.startsWith("/") && !Files.isExecutable(Path.of(exe))) {
                continue;
            }
            Path out = null;
            try {
                // Output goes to a file, not a pipe, so a stuck ldconfig cannot block us past the timeout.
                out = Files.createTempFile("longlm-ldconfig", ".txt");
                Process p = new ProcessBuilder(exe, "-p").redirectErrorStream(true)
                        .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .start();
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    continue;
                }
                if (p.exitValue() == 0) {
                    return Files.readString(out, StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                // try the next location
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "";
            } finally {
                deleteQuietly(out);
            }
        }
        return "";
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a leftover temporary file is harmless
            }
        }
    }

    @Override
    public String toString() {
        return "LibrarySearch[root=" + root + ", arch=" + arch + "]";
    }
}
