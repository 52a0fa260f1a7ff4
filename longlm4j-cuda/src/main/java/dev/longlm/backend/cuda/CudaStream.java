package dev.longlm.backend.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A CUDA stream: work queued on it runs in order, asynchronously to the host. Created
 * non-blocking (it does not wait for the legacy default stream), which graph capture requires; so
 * host code must order its reads after GPU work through this stream ({@link #synchronize}, an
 * event), not through a synchronous copy on the default stream.
 *
 * <p>Host memory given to the copies must be native (an {@link java.lang.foreign.Arena}'s, a
 * mapped file, a {@link PinnedHostBuffer}); only pinned memory makes them truly asynchronous, and
 * the memory must stay valid until the copy has run.
 */
public final class CudaStream implements AutoCloseable {
    private final CudaDriver driver;
    private final long handle;
    private boolean closed;

    CudaStream(CudaDriver driver) {
        this.driver = driver;
        this.handle = driver.createStream();
    }

    public long handle() {
        return handle;
    }

    /** Blocks until all work queued so far has finished. */
    public void synchronize() {
        driver.synchronizeStream(handle);
    }

    /** Queues a copy of all of {@code host} to the start of {@code destination}. */
    public void copyToDevice(MemorySegment host, DeviceMemory destination) {
        requireNative(host);
        requireFits(host.byteSize(), destination.bytes(), "host source", "device destination");
        driver.copyToDeviceAsync(destination.address(), host, host.byteSize(), handle);
    }

    /** Queues a copy filling all of {@code host} from the start of {@code source}. */
    public void copyToHost(DeviceMemory source, MemorySegment host) {
        requireNative(host);
        requireFits(host.byteSize(), source.bytes(), "host destination", "device source");
        driver.copyToHostAsync(host, source.address(), host.byteSize(), handle);
    }

    /** Queues a copy of all of {@code source} to the start of {@code destination}. */
    public void copy(DeviceMemory source, DeviceMemory destination) {
        requireFits(source.bytes(), destination.bytes(), "device source", "device destination");
        driver.copyDeviceAsync(destination.address(), source.address(), source.bytes(), handle);
    }

    /** Queues setting every byte of {@code memory} to {@code value}. */
    public void fill(DeviceMemory memory, byte value) {
        driver.fillBytesAsync(memory.address(), value, memory.bytes(), handle);
    }

    /**
     * Queues setting every 32-bit word of {@code memory} to {@code value} (e.g.
     * {@code Float.floatToRawIntBits(1f)}); its size must be a multiple of 4.
     */
    public void fillWords(DeviceMemory memory, int value) {
        if (memory.bytes() % 4 != 0) {
            throw new IllegalArgumentException(memory.bytes() + " bytes is not a whole number of 32-bit words");
        }
        driver.fillWordsAsync(memory.address(), value, memory.bytes() / 4, handle);
    }

    /** Makes work queued after this call wait until {@code event} (recorded on any stream) has passed. */
    public void waitFor(CudaEvent event) {
        driver.streamWaitEvent(handle, event.handle());
    }

    /**
     * Records what {@code work} queues on this stream into a graph instead of running it, and
     * returns the graph ready to replay. {@code work} must only queue work on this stream (launches,
     * async copies, cuBLAS calls on this stream); allocating or synchronizing inside it fails. If
     * {@code work} throws, the capture is ended and discarded and the exception passes on.
     */
    public CudaGraph capture(Runnable work) {
        driver.beginCapture(handle);
        try {
            work.run();
        } catch (RuntimeException | Error e) {
            try {
                driver.destroyGraph(driver.endCapture(handle));
            } catch (CudaException ended) {
                e.addSuppressed(ended);
            }
            throw e;
        }
        long graph = driver.endCapture(handle);
        try {
            // The graph lives as long as its exec: the nodes that cuStreamGetCaptureInfo named during the capture are
            // the graph's, valid only until it is destroyed, and updates of the exec name them.
            return new CudaGraph(driver, driver.instantiateGraph(graph), graph, this);
        } catch (RuntimeException | Error e) {
            driver.destroyGraph(graph);
            throw e;
        }
    }

    private static void requireNative(MemorySegment host) {
        if (!host.isNative()) {
            throw new IllegalArgumentException("host memory for a GPU copy must be native (an Arena's, a mapped file, "
                    + "a PinnedHostBuffer), not a Java array: copy the array into such a segment first");
        }
    }

    private static void requireFits(long copied, long room, String from, String to) {
        if (copied > room) {
            throw new IndexOutOfBoundsException("copy of " + copied + " bytes: " + from + " is larger than the "
                    + room + " bytes of the " + to);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            driver.destroyStream(handle);
        }
    }
}
