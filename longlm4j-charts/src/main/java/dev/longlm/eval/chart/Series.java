package dev.longlm.eval.chart;

import java.util.List;

/** One line of a line chart: its legend name and points (NaN y values are gaps, e.g. unsupported lengths). */
public record Series(String name, List<Double> x, List<Double> y) {
    public Series {
        if (x.size() != y.size()) {
            throw new IllegalArgumentException("x and y differ in length: " + x.size() + " vs " + y.size());
        }
        x = List.copyOf(x);
        y = List.copyOf(y);
    }
}
