package dev.longlm.quantize;

import dev.longlm.InputException;
import dev.longlm.gguf.GgmlType;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;
import dev.longlm.gguf.GgufValue;
import dev.longlm.gguf.GgufWriter;
import dev.longlm.backend.cpu.Parallel;
import dev.longlm.backend.cpu.Quantizer;
import dev.longlm.backend.cpu.WeightMatrices;
import dev.longlm.backend.cpu.WeightMatrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites a GGUF model with its weight matrices converted to a {@link QuantTarget}, as
 * llama-quantize does without an importance matrix: tensor types chosen by {@link TensorTypePolicy},
 * norms and other 1-D tensors copied unchanged, metadata copied with {@code general.file_type}
 * updated. Source weights must be F32, F16 or BF16 (or already of the chosen type).
 */
public final class ModelQuantizer {
    /** Receives progress as weight elements done out of the total; called from the writing thread. */
    @FunctionalInterface
    public interface Progress {
        void update(long elementsDone, long elementsTotal);

        Progress NONE = (done, total) -> { };

        /** Rewrites one "quantizing: N%" line on {@code out} whenever the whole percentage changes. */
        static Progress percentLine(java.io.PrintStream out) {
            int[] last = {-1};
            return (done, total) -> {
                int percent = total == 0 ? 100 : (int) (100 * done / total);
                if (percent != last[0]) {
                    last[0] = percent;
                    out.print("\rquantizing: " + percent + "%" + (percent == 100 ? "\n" : ""));
                    out.flush();
                }
            };
        }
    }

    /** What happened to one tensor. */
    public record TensorResult(String name, GgmlType from, GgmlType to) {
    }

    /** Elements written so far, reported to the caller's {@link Progress} (writing is single-threaded). */
    private static final class ProgressCounter {
        private final long total;
        private final Progress progress;
        private long done;

        ProgressCounter(long total, Progress progress) {
            this.total = total;
            this.progress = progress;
        }

        void add(long elements) {
            done += elements;
            progress.update(done, total);
        }
    }

    /** Rows converted per parallel step; large enough to keep threads busy, small enough to stream. */
    private static final int ROWS_PER_CHUNK = 64;

    private ModelQuantizer() {
    }

    public static List<TensorResult> quantize(Path input, Path output, QuantTarget target, int threads, Progress progress)
            throws IOException {
        if (Files.exists(output) && Files.isSameFile(input, output)) {
            throw new InputException(output + ": output must differ from the input file");
        }
        try (GgufFile in = GgufFile.open(input); Parallel pool = new Parallel(Math.max(1, threads))) {
            List<GgufTensorInfo> tensors = in.tensorList();
            TensorTypePolicy policy = new TensorTypePolicy(target, tensors,
                    in.metadata().getInt(in.metadata().getString("general.architecture", "") + ".block_count", 0));
            GgufWriter writer = new GgufWriter().putAll(in.metadata().asMap())
                    .put("general.file_type", GgufValue.uint32(target.fileType()))
                    .put("general.quantization_version", GgufValue.uint32(2));
            ProgressCounter counter = new ProgressCounter(tensors.stream().mapToLong(GgufTensorInfo::elementCount).sum(), progress);
            List<TensorResult> results = new ArrayList<>();
            for (GgufTensorInfo t : tensors) {
                GgmlType to = policy.typeFor(t);
                results.add(new TensorResult(t.name(), t.type(), to));
                GgufWriter.TensorData data;
                if (to == t.type()) {
                    data = copy(in, t, counter);
                } else {
                    data = convert(in, input, t, to, pool, counter);
                }
                writer.addTensor(t.name(), t.shape(), to, data);
            }
            writer.write(output);
            return List.copyOf(results);
        }
    }

    private static GgufWriter.TensorData copy(GgufFile in, GgufTensorInfo t, ProgressCounter counter) {
        GgufWriter.TensorData bytes = GgufWriter.TensorData.of(in.data(t));
        return new GgufWriter.TensorData() {
            public long byteSize() {
                return bytes.byteSize();
            }

            public void writeTo(GgufWriter.Sink sink) throws IOException {
                bytes.writeTo(sink);
                counter.add(t.elementCount());
            }
        };
    }

    private static GgufWriter.TensorData convert(GgufFile in, Path input, GgufTensorInfo t, GgmlType to, Parallel pool,
                                                 ProgressCounter counter) {
        GgmlType from = t.type();
        if (from != GgmlType.F32 && from != GgmlType.F16 && from != GgmlType.BF16) {
            throw new InputException(input + ": tensor '" + t.name() + "' is already " + from
                    + "; quantize from an F32, F16 or BF16 model");
        }
        WeightMatrix source = WeightMatrices.of(from, in.data(t), Math.toIntExact(t.rows()), t.cols());
        int cols = t.cols();
        int rowBytes = Math.toIntExact(to.bytesFor(cols));
        return new GgufWriter.TensorData() {
            public long byteSize() {
                return to.bytesFor(t.elementCount());
            }

            public void writeTo(GgufWriter.Sink sink) throws IOException {
                int rows = source.rows();
                float[] values = new float[ROWS_PER_CHUNK * cols];
                byte[] bytes = new byte[ROWS_PER_CHUNK * rowBytes];
                for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CHUNK) {
                    int first = r0;
                    int count = Math.min(ROWS_PER_CHUNK, rows - r0);
                    pool.forRange(count, (s, e) -> {
                        for (int k = s; k < e; k++) {
                            source.dequantizeRow(first + k, values, k * cols);
                            Quantizer.quantize(to, values, k * cols, cols, bytes, k * rowBytes);
                        }
                    });
                    sink.write(bytes, 0, count * rowBytes);
                    counter.add((long) count * cols);
                }
            }
        };
    }
}
