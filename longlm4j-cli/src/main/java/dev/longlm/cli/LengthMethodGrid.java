package dev.longlm.cli;

import dev.longlm.eval.ResultRow;
import dev.longlm.eval.chart.ChartWriter;
import dev.longlm.eval.chart.LineChartSpec;
import dev.longlm.eval.chart.Series;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Results of a length × method evaluation (NaN: the method does not reach that length), printed as
 * a table with one row per length and one column per method, and drawn as one line per method.
 */
final class LengthMethodGrid {
    final int[] lengths;
    final List<String> methods;
    final double[][] values;
    final List<ResultRow> rows = new ArrayList<>();

    LengthMethodGrid(int[] lengths, List<String> methods) {
        this.lengths = lengths;
        this.methods = methods;
        this.values = new double[lengths.length][methods.size()];
        for (double[] row : values) {
            Arrays.fill(row, Double.NaN);
        }
    }

    /** The grid of earlier result rows (their "label" field, or one derived from the method fields). */
    static LengthMethodGrid fromRows(List<ResultRow> rows, String metric) {
        int[] lengths = rows.stream().mapToInt(r -> ((Number) r.get("length")).intValue()).distinct().sorted().toArray();
        List<String> labels = rows.stream().map(LengthMethodGrid::label).distinct().toList();
        LengthMethodGrid grid = new LengthMethodGrid(lengths, labels);
        for (ResultRow r : rows) {
            if (r.get(metric) instanceof Number v) {
                grid.values[Arrays.binarySearch(lengths, ((Number) r.get("length")).intValue())][labels.indexOf(label(r))] = v.doubleValue();
            }
        }
        grid.rows.addAll(rows);
        return grid;
    }

    private static String label(ResultRow r) {
        if (r.get("label") instanceof String s) {
            return s;
        }
        Object method = r.get("method");
        return r.get("group_size") != null ? method + " G" + r.get("group_size") + " W" + r.get("window") : String.valueOf(method);
    }

    void printTable(PrintStream out, String format) {
        List<String> labels = new ArrayList<>();
        String[][] cells = new String[lengths.length][methods.size()];
        for (int l = 0; l < lengths.length; l++) {
            labels.add(Integer.toString(lengths[l]));
            for (int m = 0; m < methods.size(); m++) {
                cells[l][m] = Double.isNaN(values[l][m]) ? "–" : String.format(java.util.Locale.ROOT, format, values[l][m]);
            }
        }
        ResultTable.print(out, "N tokens", methods, labels, cells);
    }

    void plot(Path png, String title, String yLabel, double[] yRange) {
        List<Series> series = new ArrayList<>();
        for (int m = 0; m < methods.size(); m++) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int l = 0; l < lengths.length; l++) {
                x.add((double) lengths[l]);
                y.add(values[l][m]);
            }
            series.add(new Series(methods.get(m), x, y));
        }
        boolean logX = lengths.length > 2 && Arrays.stream(lengths).max().getAsInt() >= 4 * Arrays.stream(lengths).min().getAsInt();
        ChartWriter.writeLineChart(new LineChartSpec(title, "input length N (tokens)", yLabel, logX, yRange, series), png);
    }
}
