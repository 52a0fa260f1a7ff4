package dev.longlm.backend.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compiled kernels on disk, so that only the first run on a machine pays for NVRTC. A file is named
 * {@code <kernel>-<arch>-<key>.cubin} (or {@code .ptx}) where the key is a SHA-256 of everything the
 * image depends on; a changed source, option, NVRTC or GPU gives a new key, so stale files are never
 * used and never need deleting. Files are written to a temporary name in the same folder and
 * renamed, so a reader sees a whole file or none; an unusable cache (read-only home, full disk)
 * only costs compile time.
 */
public final class KernelCache {
    /** Root of longlm's caches; the kernels go in its {@code cuda} folder. Default {@code ~/.cache/longlm}. */
    public static final String CACHE_VARIABLE = "LONGLM_CACHE";

    private static final String KEY_FORMAT = "longlm cuda kernel cache 1";

    private final Path folder;

    public KernelCache(Path folder) {
        this.folder = folder;
    }

    /** {@code $LONGLM_CACHE/cuda}, else {@code <home>/.cache/longlm/cuda}. */
    public static Path defaultFolder(Map<String, String> env, String userHome) {
        String root = env.get(CACHE_VARIABLE);
        Path base = root != null && !root.isBlank() ? Path.of(root) : Path.of(userHome, ".cache", "longlm");
        return base.resolve("cuda");
    }

    public Path folder() {
        return folder;
    }

    /**
     * SHA-256, as lower-case hex, of the UTF-8 text
     * <pre>
     * longlm cuda kernel cache 1
     * nvrtc &lt;version&gt;
     * target &lt;architecture&gt; &lt;cubin|ptx&gt;
     * option &lt;option&gt;          (one line per option, in order)
     * source &lt;UTF-8 bytes of the source&gt;
     * &lt;source&gt;</pre>
     * (lines end with {@code \n}; the source follows its length line verbatim).
     */
    public static String key(String source, List<String> options, String nvrtcVersion, CompileTarget target) {
        StringBuilder text = new StringBuilder(KEY_FORMAT).append('\n');
        text.append("nvrtc ").append(nvrtcVersion).append('\n');
        text.append("target ").append(target.architecture()).append(' ').append(target.extension()).append('\n');
        for (String option : options) {
            if (option.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("compiler option with a line break: " + option);
            }
            text.append("option ").append(option).append('\n');
        }
        text.append("source ").append(source.getBytes(StandardCharsets.UTF_8).length).append('\n').append(source);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /** Where the image of {@code kernel} with {@code key} lives. */
    public Path file(String kernel, CompileTarget target, String key) {
        String safe = kernel.replaceAll("[^A-Za-z0-9_.-]", "_");
        return folder.resolve(safe + "-" + target.architecture() + "-" + key + "." + target.extension());
    }

    /** The cached image, if there is a readable, well-formed one. */
    public Optional<byte[]> read(String kernel, CompileTarget target, String key) {
        Path file = file(kernel, target, key);
        try {
            byte[] image = Files.readAllBytes(file);
            return wellFormed(image, target) ? Optional.of(image) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Stores an image under a temporary name and renames it into place; returns whether it was
     * stored. Concurrent writers of one key write identical bytes, so whichever rename lands last wins
     * harmlessly.
     */
    public boolean write(String kernel, CompileTarget target, String key, byte[] image) {
        Path file = file(kernel, target, key);
        Path temp = null;
        try {
            Files.createDirectories(folder);
            temp = Files.createTempFile(folder, file.getFileName().toString(), ".tmp");
            Files.write(temp, image);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // nothing more to do: the temporary file's name marks it as such
                }
            }
            return false;
        }
    }

    /** A CUBIN is an ELF file; PTX for {@code cuModuleLoadData} ends with its NUL. */
    static boolean wellFormed(byte[] image, CompileTarget target) {
        if (target.cubin()) {
            return image.length > 4 && image[0] == 0x7f && image[1] == 'E' && image[2] == 'L' && image[3] == 'F';
        }
        return image.length > 1 && image[image.length - 1] == 0;
    }
}
