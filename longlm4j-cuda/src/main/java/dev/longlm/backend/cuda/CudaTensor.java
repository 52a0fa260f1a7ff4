package dev.longlm.backend.cuda;

import dev.longlm.backend.Tensor;

/**
 * An activation buffer in device memory: {@code rows × width} floats, row-major, with a host mirror
 * for {@link CudaBackend#read} (made on first read), so that, as on the CPU, each tensor's values read
 * back stay valid until that tensor is read again.
 */
final class CudaTensor implements Tensor {
    private final DeviceMemory memory;
    private final int rows;
    private final int width;
    private Runnable free = () -> { };
    private float[] host;
    private boolean closed;

    CudaTensor(DeviceMemory memory, int rows, int width) {
        this.memory = memory;
        this.rows = rows;
        this.width = width;
    }

    /** What {@link #close} runs: the backend's freeing of this tensor's memory. */
    void onClose(Runnable free) {
        this.free = free;
    }

    DeviceMemory memory() {
        if (closed) {
            throw new IllegalStateException("tensor of " + rows + " × " + width + " used after close");
        }
        return memory;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int width() {
        return width;
    }

    /** The device address of row {@code row}. */
    long row(int row) {
        return memory().address() + (long) row * width * Float.BYTES;
    }

    /** The host array the values are read into. */
    float[] host() {
        if (host == null) {
            host = new float[rows * width];
        }
        return host;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            free.run();
        }
    }
}
