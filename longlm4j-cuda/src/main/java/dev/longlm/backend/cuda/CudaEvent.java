package dev.longlm.backend.cuda;

/**
 * A CUDA event: a marker recorded into a stream, to wait for (from the host or from another
 * stream) or to time GPU work between two of them.
 */
public final class CudaEvent implements AutoCloseable {
    private final CudaDriver driver;
    private final long handle;
    private boolean closed;

    CudaEvent(CudaDriver driver, boolean timing) {
        this.driver = driver;
        this.handle = driver.createEvent(timing);
    }

    public long handle() {
        return handle;
    }

    /** Marks the point after all work queued so far on {@code stream}. */
    public void record(CudaStream stream) {
        driver.recordEvent(handle, stream.handle());
    }

    /** Blocks until the work before the last {@link #record} has finished. */
    public void synchronize() {
        driver.synchronizeEvent(handle);
    }

    /** Whether the work before the last {@link #record} has finished, without waiting. */
    public boolean isDone() {
        return driver.eventDone(handle);
    }

    /** GPU time from {@code start} to this event, in milliseconds; both must be recorded and finished. */
    public float millisSince(CudaEvent start) {
        return driver.elapsedMillis(start.handle, handle);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            driver.destroyEvent(handle);
        }
    }
}
