package dev.longlm;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that it is either absent, its old self, or complete: the content goes to a
 * temporary name in the same folder, which is renamed over the target only once fully written.
 * An interrupted run (Ctrl-C, a full disk) leaves no half-written file behind. Folders are never
 * created: a path into a missing folder is the user's typo, not a request.
 */
public final class OutputFile {
    /** Writes the whole content to the file it is given. */
    @FunctionalInterface
    public interface Content {
        void writeTo(Path file) throws IOException;
    }

    private OutputFile() {
    }

    /** Writes {@code target} atomically; any failure is an {@link InputException} that says what to do. */
    public static void replace(Path target, Content content) {
        Path folder = requireWritable(target);
        Path temporary = createTemporary(target, folder);
        boolean moved = false;
        try {
            content.writeTo(temporary);
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } catch (IOException e) {
            throw cannotWrite(target, e);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // nothing more to do: the target is untouched either way
                }
            }
        }
    }

    /**
     * Fails early, before any long work, when {@code target} cannot be written: its folder is missing
     * or not writable, or it is a directory. Returns the folder.
     */
    public static Path requireWritable(Path target) {
        Path folder = target.toAbsolutePath().getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new InputException(target + ": the folder " + folder + " does not exist; create it first or write elsewhere");
        }
        if (Files.isDirectory(target)) {
            throw new InputException(target + ": is a directory; give the name of a file to write");
        }
        if (!Files.isWritable(folder)) {
            throw new InputException(target + ": permission denied; write to a folder you can write to");
        }
        return folder;
    }

    /** A fresh hidden name beside the target, created with the folder's default permissions. */
    private static Path createTemporary(Path target, Path folder) {
        String base = "." + target.getFileName() + ".";
        for (int attempt = 0; ; attempt++) {
            Path candidate = folder.resolve(base + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + ".partial");
            try {
                return Files.createFile(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw cannotWrite(target, e);
                }
            } catch (IOException e) {
                throw cannotWrite(target, e);
            }
        }
    }

    /** One line for an I/O failure while writing {@code target}: what happened and what to do. */
    public static InputException cannotWrite(Path target, IOException e) {
        String reason = String.valueOf(e.getMessage());
        String advice;
        if (e instanceof AccessDeniedException || reason.contains("Permission denied") || reason.contains("Read-only file system")) {
            advice = "permission denied; write to a folder you can write to";
        } else if (reason.contains("No space left") || reason.contains("Disk quota exceeded")) {
            advice = "the disk is full; free some space or write elsewhere (nothing was left behind)";
        } else {
            advice = "cannot write (" + Printable.escaped(reason, 200) + "); check the path, permissions and free space";
        }
        return new InputException(target + ": " + advice, e);
    }
}
