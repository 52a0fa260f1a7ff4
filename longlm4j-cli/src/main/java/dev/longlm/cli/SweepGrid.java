package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.eval.MethodSpec;
import dev.longlm.eval.ResultRow;

import java.util.Optional;

/**
 * The settings grid {@code sweep} runs for one method: columns (Self-Extend's G, DCA's chunk size s,
 * Leaky ReRoPE's leak k; one column for ReRoPE) × rows (the window: W, or DCA's local window w), and how
 * a cell is named in results, logs and the flags that select it.
 *
 * @param columnKey result-file key of the column parameter (null: no column parameter)
 * @param rowKey    result-file key of the row parameter
 */
record SweepGrid(ContextMethod.Kind kind, int[] columns, String columnName, String columnKey, String columnFlag,
                 String rowName, String rowKey, String rowFlag, String title) {

    static SweepGrid of(ContextMethod.Kind kind, String groupSizes, String chunkSizes, String leaks) {
        return switch (kind) {
            case SELF_EXTEND, SELF_EXTEND_LLAMACPP -> new SweepGrid(kind, IntList.parse("--group-sizes", groupSizes, 2), "G",
                    "group_size", "--group-size", "W", "window", "--window", "Self-Extend G × W");
            case DCA -> new SweepGrid(kind, IntList.parse("--chunk-sizes", chunkSizes, 1), "s", "chunk_size", "--chunk-size",
                    "w", "local_window", "--local-window", "DCA s × w");
            case LEAKY_REROPE -> new SweepGrid(kind, IntList.parse("--leaks", leaks, 2), "k", "leak", "--leak",
                    "w", "window", "--window", "Leaky ReRoPE k × w");
            case REROPE -> new SweepGrid(kind, new int[]{0}, "ReRoPE", null, null, "w", "window", "--window", "ReRoPE w");
            default -> throw new InputException("--method takes self-extend, self-extend-llamacpp, dca, rerope or leaky-rerope, got '"
                    + kind.flag() + "'");
        };
    }

    /** The {@code --methods} spelling of a cell. */
    String spec(int column, int row) {
        return switch (kind) {
            case LEAKY_REROPE -> kind.flag() + ":" + row + ":" + column;
            case REROPE -> kind.flag() + ":" + row;
            default -> kind.flag() + ":" + column + ":" + row;
        };
    }

    /** The cell's setting, or empty when its parameters do not form one. */
    Optional<ContextMethod> setting(int column, int row, int trained) {
        if (kind.selfExtend() && (row % column != 0 || row >= trained)) {
            return Optional.empty();
        }
        try {
            ContextMethod method = MethodSpec.parse(spec(column, row)).resolve(trained, 1).orElseThrow();
            // a window at or past the trained context cannot extend it
            return row < trained ? Optional.of(method) : Optional.empty();
        } catch (InputException e) {
            return Optional.empty();
        }
    }

    String invalidNote() {
        return switch (kind) {
            case DCA -> "w must be between 1 and s, with s + w at most the trained context";
            case SELF_EXTEND, SELF_EXTEND_LLAMACPP -> "W must be a multiple of G and below the trained context";
            default -> "w must be below the trained context";
        };
    }

    ResultRow.Builder cell(ResultRow.Builder row, int column, int value) {
        if (columnKey != null) {
            row.put(columnKey, column);
        }
        return row.put(rowKey, value);
    }

    String columnLabel(int column) {
        return columnKey == null ? columnName : columnName + column;
    }

    String columnAxis() {
        return switch (kind) {
            case DCA -> "chunk size s";
            case LEAKY_REROPE -> "leak factor k";
            case REROPE -> "";
            default -> "group size G";
        };
    }

    String rowAxis() {
        return kind == ContextMethod.Kind.DCA ? "local window w" : kind.selfExtend() ? "neighbour window W" : "window w";
    }

    String describe(int column, int row) {
        return columnKey == null ? rowName + row : columnName + column + " " + rowName + row;
    }

    String flags(int column, int row) {
        return columnKey == null ? rowFlag + " " + row : columnFlag + " " + column + " " + rowFlag + " " + row;
    }

    String noneFitsHint() {
        return switch (kind) {
            case DCA -> "use smaller chunk sizes or local windows";
            case LEAKY_REROPE -> "add larger leak factors";
            case REROPE -> "use windows below the trained context";
            default -> "add larger group sizes";
        };
    }
}
