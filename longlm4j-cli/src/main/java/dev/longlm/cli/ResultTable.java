package dev.longlm.cli;

import java.io.PrintStream;
import java.util.List;

/** A plain-text table with a header row and right-aligned cells, for stdout. */
final class ResultTable {
    private ResultTable() {
    }

    static void print(PrintStream out, String corner, List<String> columns, List<String> rowLabels, String[][] cells) {
        int first = corner.length();
        for (String r : rowLabels) {
            first = Math.max(first, r.length());
        }
        int[] widths = new int[columns.size()];
        for (int c = 0; c < columns.size(); c++) {
            widths[c] = columns.get(c).length();
            for (String[] row : cells) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        StringBuilder sb = new StringBuilder(pad(corner, first, false));
        for (int c = 0; c < columns.size(); c++) {
            sb.append("  ").append(pad(columns.get(c), widths[c], true));
        }
        out.println(sb);
        for (int r = 0; r < rowLabels.size(); r++) {
            sb.setLength(0);
            sb.append(pad(rowLabels.get(r), first, false));
            for (int c = 0; c < columns.size(); c++) {
                sb.append("  ").append(pad(cells[r][c], widths[c], true));
            }
            out.println(sb);
        }
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(Math.max(0, width - s.length()));
        return right ? fill + s : s + fill;
    }
}
