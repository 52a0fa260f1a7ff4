package dev.longlm.cli;

import java.nio.file.Path;
import java.util.Locale;

/** File names for several charts from one --plot name: needle.png → needle-self-extend-g16-w64.png. */
final class PlotFiles {
    private PlotFiles() {
    }

    static Path withSuffix(Path png, String label) {
        String name = png.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String slug = label.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.]+", "-").replaceAll("(^-|-$)", "");
        String file = (dot < 0 ? name : name.substring(0, dot)) + "-" + slug + (dot < 0 ? "" : name.substring(dot));
        return png.resolveSibling(file);
    }
}
