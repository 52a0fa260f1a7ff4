package dev.longlm.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.longlm.InputException;
import dev.longlm.eval.ResultRow;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/** Reads the --json files the evaluations write, to redraw or merge them. */
final class ResultJson {
    private ResultJson() {
    }

    static List<ResultRow> read(List<Path> files) {
        List<ResultRow> rows = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        for (Path file : files) {
            try {
                List<LinkedHashMap<String, Object>> objects = mapper.readValue(file.toFile(), new TypeReference<>() {
                });
                for (LinkedHashMap<String, Object> o : objects) {
                    if (!(o.get("length") instanceof Number)) {
                        throw new InputException(file + ": a cell without a numeric \"length\"; expected a file written by --json");
                    }
                    rows.add(new ResultRow(o));
                }
            } catch (NoSuchFileException e) {
                throw new InputException(file + ": no such file");
            } catch (IOException e) {
                throw new InputException(file + ": not an evaluation's --json output: " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        return rows;
    }
}
