package dev.longlm.cli;

import dev.longlm.InputException;

import java.nio.file.Path;

/** Reads whitespace-separated token ids, checking each against the vocabulary. */
final class TokenFiles {
    private TokenFiles() {
    }

    static int[] read(Path file, int vocabSize) {
        String text = TextInput.readText(file);
        String[] parts = text.trim().split("\\s+");
        if (parts.length == 1 && parts[0].isEmpty()) {
            return new int[0];
        }
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new InputException(file + ": token " + (i + 1) + " '" + parts[i] + "' is not an integer id");
            }
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new InputException(file + ": token id " + ids[i] + " is outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        return ids;
    }
}
