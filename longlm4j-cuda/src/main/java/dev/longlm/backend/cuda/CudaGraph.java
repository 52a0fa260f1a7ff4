package dev.longlm.backend.cuda;

/**
 * An executable CUDA graph ({@code CUgraphExec}) made by {@link CudaStream#capture}: the captured
 * launches, copies and GEMMs replayed by one call, with the arguments they had when captured.
 * Replaying a decode step this way costs one launch instead of one per kernel. The captured
 * {@code CUgraph} is kept beside it, since its node handles identify the nodes to update in the exec.
 */
public final class CudaGraph implements AutoCloseable {
    private final CudaDriver driver;
    private final long exec;
    private final long graph;
    private final CudaStream stream;
    private boolean closed;

    CudaGraph(CudaDriver driver, long exec, long graph, CudaStream stream) {
        this.driver = driver;
        this.exec = exec;
        this.graph = graph;
        this.stream = stream;
    }

    /** The {@code CUgraphExec}, for updating its nodes. */
    public long handle() {
        return exec;
    }

    /** Queues one replay on the stream it was captured from. */
    public void launch() {
        launch(stream);
    }

    /** Queues one replay on {@code on}. */
    public void launch(CudaStream on) {
        driver.launchGraph(exec, on.handle());
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                driver.destroyGraphExec(exec);
            } finally {
                driver.destroyGraph(graph);
            }
        }
    }
}
