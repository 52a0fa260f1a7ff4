package dev.longlm.eval.chart;

import dev.longlm.InputException;
import dev.longlm.OutputFile;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.awt.Font;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Renders charts to PNG with XChart, headless (no display needed), on a white background. */
public final class ChartWriter {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;

    /** Distinct colours (Okabe–Ito, then Tableau), readable in print and by colour-blind readers. */
    private static final Color[] PALETTE = {
            new Color(0x000000), new Color(0xE69F00), new Color(0x56B4E9), new Color(0x009E73), new Color(0xD55E00),
            new Color(0x0072B2), new Color(0xCC79A7), new Color(0xF0E442), new Color(0x8C564B), new Color(0x7F7F7F),
            new Color(0xBCBD22), new Color(0x17BECF), new Color(0x9467BD)};

    private ChartWriter() {
    }

    public static void writeLineChart(LineChartSpec spec, Path png) {
        headless();
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(spec.title())
                .xAxisTitle(spec.xLabel()).yAxisTitle(spec.yLabel()).build();
        Styler styler = chart.getStyler();
        if (spec.logX()) {
            // Lengths are powers of two: plot log2 N on a linear axis and label the whole steps 2^k,
            // which reads better than XChart's log axis (labels only at powers of ten).
            chart.getStyler().setxAxisTickLabelsFormattingFunction(v -> Math.abs(v - Math.rint(v)) < 1e-9
                    ? Long.toString(Math.round(Math.pow(2, Math.rint(v)))) : "");
        }
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesColor(new Color(220, 220, 220));
        chart.getStyler().setMarkerSize(8);
        chart.getStyler().setSeriesColors(PALETTE);
        chart.getStyler().setYAxisDecimalPattern(spec.yRange() != null && spec.yRange()[1] <= 2 ? "0.00" : "#,##0");
        if (spec.yRange() != null) {
            chart.getStyler().setYAxisMin(spec.yRange()[0]);
            chart.getStyler().setYAxisMax(spec.yRange()[1]);
        }
        styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        for (Series s : spec.series()) {
            // XChart draws no line across a missing point: unsupported lengths become gaps.
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int i = 0; i < s.x().size(); i++) {
                if (Double.isFinite(s.y().get(i))) {
                    x.add(spec.logX() ? Math.log(s.x().get(i)) / Math.log(2) : s.x().get(i));
                    y.add(s.y().get(i));
                }
            }
            if (!x.isEmpty()) {
                XYSeries series = chart.addSeries(s.name(), x, y);
                series.setMarker(SeriesMarkers.CIRCLE);
            }
        }
        if (chart.getSeriesMap().isEmpty()) {
            throw new InputException("nothing to plot: every cell was skipped");
        }
        write(chart, png);
    }

    public static void writeHeatMap(HeatMapSpec spec, Path png) {
        headless();
        HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT).title(spec.title())
                .xAxisTitle(spec.xTitle()).yAxisTitle(spec.yTitle()).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setShowValue(true);
        chart.getStyler().setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        chart.getStyler().setValueFontColor(Color.BLACK);
        chart.getStyler().setHeatMapValueDecimalPattern(spec.valuePattern());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setMin(spec.low());
        chart.getStyler().setMax(spec.high());
        chart.getStyler().setDrawBorder(true);
        // Red (missed / bad) through yellow to green (found / good), as in the NIAH charts.
        Color red = new Color(0xD7, 0x30, 0x27);
        Color yellow = new Color(0xFE, 0xE0, 0x8B);
        Color green = new Color(0x1A, 0x98, 0x50);
        chart.getStyler().setRangeColors(spec.higherIsBetter() ? new Color[]{red, yellow, green}
                : new Color[]{green, yellow, red});
        List<Number[]> cells = new ArrayList<>();
        for (int y = 0; y < spec.yLabels().size(); y++) {
            for (int x = 0; x < spec.xLabels().size(); x++) {
                double v = spec.values()[y][x];
                if (Double.isFinite(v)) {
                    cells.add(new Number[]{x, y, Math.clamp(v, spec.low(), spec.high())});
                }
            }
        }
        if (cells.isEmpty()) {
            throw new InputException("nothing to plot: every cell was skipped");
        }
        chart.addSeries(spec.title(), spec.xLabels(), spec.yLabels(), cells);
        write(chart, png);
    }

    private static void write(Chart<?, ?> chart, Path png) {
        OutputFile.replace(png, temporary -> {
            try (OutputStream out = Files.newOutputStream(temporary)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
        });
    }

    /** Charts are files, never windows: no display is needed (servers, CI). */
    private static void headless() {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }
}
