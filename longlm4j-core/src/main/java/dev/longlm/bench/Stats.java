package dev.longlm.bench;

/** Mean and sample standard deviation of repeated measurements. */
public record Stats(double mean, double sd, int count) {
    public static Stats of(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        double mean = sum / values.length;
        double sq = 0;
        for (double v : values) {
            sq += (v - mean) * (v - mean);
        }
        return new Stats(mean, values.length > 1 ? Math.sqrt(sq / (values.length - 1)) : 0, values.length);
    }
}
