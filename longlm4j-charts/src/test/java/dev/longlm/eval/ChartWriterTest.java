package dev.longlm.eval;

import dev.longlm.eval.chart.ChartWriter;
import dev.longlm.eval.chart.HeatMapSpec;
import dev.longlm.eval.chart.LineChartSpec;
import dev.longlm.eval.chart.Series;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChartWriterTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @Test
    void lineChartIsAPng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("passkey.png"); // folders are not created for the user (issue 17, defect 9)
        ChartWriter.writeLineChart(new LineChartSpec("Passkey", "N", "accuracy", true, new double[]{0, 1.05}, List.of(
                new Series("none", List.of(256.0, 512.0, 1024.0), List.of(1.0, 0.65, 0.2)),
                new Series("self-extend G8 W64", List.of(256.0, 512.0, 1024.0, 2048.0), List.of(1.0, 1.0, 0.85, Double.NaN)))), png);
        BufferedImage image = readPng(png);
        assertEquals(900, image.getWidth());
        assertEquals(560, image.getHeight());
        assertTrue(colours(image) > 3, "the chart has lines, not just a background");
    }

    @Test
    void heatMapIsAPng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("needle.png");
        double[][] values = {{1, 1, 0}, {1, Double.NaN, 0.5}};
        ChartWriter.writeHeatMap(new HeatMapSpec("Needle", "length", "depth", List.of("256", "512", "1024"),
                List.of("0%", "100%"), values, 0, 1, true, "0.00"), png);
        BufferedImage image = readPng(png);
        assertEquals(900, image.getWidth());
        assertTrue(colours(image) > 3);
    }

    private static BufferedImage readPng(Path png) throws Exception {
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8));
        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image != null, "ImageIO decodes it");
        return image;
    }

    private static long colours(BufferedImage image) {
        return java.util.stream.IntStream.range(0, image.getWidth() * image.getHeight())
                .map(i -> image.getRGB(i % image.getWidth(), i / image.getWidth())).distinct().count();
    }
}
