package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.model.Model;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads user text files with clear errors. */
final class TextInput {
    private TextInput() {
    }

    static String readText(Path file) {
        try {
            if (Files.isDirectory(file)) {
                throw new InputException(file + ": is a directory, expected a text file");
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such file");
        } catch (CharacterCodingException e) {
            throw new InputException(file + ": not valid UTF-8 text");
        } catch (IOException e) {
            throw new InputException(file + ": cannot read: " + e.getMessage());
        }
    }

    static int[] tokenize(Model model, Path file) {
        return model.tokenizer().encode(readText(file), true, false);
    }
}
