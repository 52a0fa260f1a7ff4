package dev.longlm.eval.chart;

import java.util.List;

/**
 * A line chart of a metric against input length, one line per method.
 *
 * @param logX   whether the x axis (lengths, usually powers of two) is logarithmic (base 2)
 * @param yRange fixed y range {min, max}, or null to fit the data (accuracy uses 0 … 1)
 */
public record LineChartSpec(String title, String xLabel, String yLabel, boolean logX, double[] yRange,
                            List<Series> series) {
}
