package dev.longlm.eval.chart;

import java.util.List;

/**
 * A grid of values shown as coloured cells, like the needle-in-a-haystack charts: {@code values[y][x]}
 * for row label {@code yLabels[y]} and column label {@code xLabels[x]}; NaN cells are left blank.
 *
 * @param low          the value drawn red (and everything below it)
 * @param high         the value drawn green (and everything above it)
 * @param higherIsBetter false flips the colours (perplexity: lower is better)
 * @param valuePattern   {@link java.text.DecimalFormat} pattern of the numbers printed in the cells, e.g. "0.00"
 */
public record HeatMapSpec(String title, String xTitle, String yTitle, List<String> xLabels, List<String> yLabels,
                          double[][] values, double low, double high, boolean higherIsBetter, String valuePattern) {
}
