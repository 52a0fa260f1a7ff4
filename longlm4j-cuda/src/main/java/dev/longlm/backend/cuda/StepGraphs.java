package dev.longlm.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replays a decoding step as a CUDA graph. A step launches ~20 kernels per layer; launched one by one
 * from Java each costs microseconds of host time and of GPU launch latency, which at batch 1 is most of
 * the step. Here the first step of a given shape runs as it is (it also allocates what it needs), the
 * second is captured into a graph, noting the node every kernel became, and later ones run the same
 * Java code in update mode: each launch is compared with its node's and, only where the arguments
 * changed (the position a key is stored at, the length attention reads), the node is updated in the
 * instantiated graph; then the whole graph is launched once. Copies from pinned host memory are nodes
 * too (they copy whatever the host wrote before the launch); a step that would do anything else
 * (allocate, copy from pageable memory, launch other kernels) falls back to running as it is.
 */
final class StepGraphs {
    /** Graphs kept (a server has one per batch shape it meets); the oldest goes first. */
    private static final int KEPT = 16;

    private enum Mode { EAGER, CAPTURE, UPDATE }

    /**
     * One operation of a captured step: a kernel node, or an opaque operation (a copy, a cuBLAS call) with the
     * addresses and sizes it was captured with ({@code operands}).
     */
    private static final class Node {
        final long function;
        final long node;
        int[] dims;
        byte[] args;
        final long[] operands;

        Node(long function, long node, int[] dims, byte[] args, long[] operands) {
            this.function = function;
            this.node = node;
            this.dims = dims;
            this.args = args;
            this.operands = operands;
        }
    }

    private static final class Step {
        CudaGraph graph;
        /** The step could not be captured; it runs as it is. */
        boolean eagerOnly;
        final List<Node> nodes = new ArrayList<>();
    }

    /** Thrown in update mode when the step does not do what was captured. */
    static final class Mismatch extends RuntimeException {
        Mismatch(String what) {
            super(what, null, false, false);
        }
    }

    private final CudaDevice device;
    private final boolean enabled;
    private final Map<Object, Step> steps = new LinkedHashMap<>();
    private Mode mode = Mode.EAGER;
    private Step current;
    private int cursor;

    StepGraphs(CudaDevice device, boolean enabled) {
        this.device = device;
        this.enabled = enabled && device.driver().canUpdateGraphs();
    }

    boolean enabled() {
        return enabled;
    }

    /** Whether operations are being recorded or checked against a graph (so nothing may allocate or synchronize). */
    boolean recording() {
        return mode != Mode.EAGER;
    }

    /** Runs {@code work}, a step of the shape {@code key} names (null: run it as it is). */
    void run(Object key, Runnable work) {
        if (!enabled || key == null || mode != Mode.EAGER) {
            work.run();
            return;
        }
        Step step = steps.get(key);
        if (step != null && step.eagerOnly) {
            work.run();
            return;
        }
        if (step == null) {
            steps.put(key, new Step());
            evictOldest();
            work.run(); // warm-up: allocations and uploads of constants happen here, not in the capture
            return;
        }
        if (step.graph == null) {
            capture(key, step, work);
            return;
        }
        mode = Mode.UPDATE;
        current = step;
        cursor = 0;
        try {
            work.run();
            if (cursor != step.nodes.size()) {
                throw new Mismatch("the step did " + cursor + " of the captured " + step.nodes.size() + " operations");
            }
        } catch (Mismatch m) {
            mode = Mode.EAGER;
            discard(key);
            work.run();
            return;
        } finally {
            mode = Mode.EAGER;
            current = null;
        }
        step.graph.launch();
    }

    private void capture(Object key, Step step, Runnable work) {
        mode = Mode.CAPTURE;
        current = step;
        try {
            step.graph = device.stream().capture(work);
        } catch (RuntimeException e) {
            // Something in the step cannot be captured: remember the shape as eager-only.
            mode = Mode.EAGER;
            current = null;
            step.nodes.clear();
            step.eagerOnly = true;
            work.run();
            return;
        } finally {
            mode = Mode.EAGER;
            current = null;
        }
        step.graph.launch();
    }

    /** A kernel launch of the step, with its arguments already set in {@code k.args()}. */
    void launch(KernelLauncher k, int gx, int gy, int gz, int bx, int by, int bz, int shared) {
        switch (mode) {
            case EAGER -> k.launch(gx, gy, gz, bx, by, bz, shared);
            case CAPTURE -> {
                k.launch(gx, gy, gz, bx, by, bz, shared);
                long node = device.driver().lastCapturedNode(device.stream().handle());
                current.nodes.add(new Node(k.function().handle(), node, new int[]{gx, gy, gz, bx, by, bz, shared},
                        bytes(k.currentArgs().valueSlots()), null));
            }
            case UPDATE -> {
                Node n = next();
                if (n.function != k.function().handle()) {
                    throw new Mismatch("launch " + (cursor - 1) + " is " + k.function().name() + ", not the captured kernel");
                }
                int[] dims = {gx, gy, gz, bx, by, bz, shared};
                MemorySegment args = k.currentArgs().valueSlots();
                if (!Arrays.equals(dims, n.dims) || args.byteSize() != n.args.length
                        || MemorySegment.mismatch(args, 0, args.byteSize(), MemorySegment.ofArray(n.args), 0, n.args.length) != -1) {
                    try {
                        device.driver().setKernelNodeParams(current.graph.handle(), n.node, n.function, gx, gy, gz, bx, by,
                                bz, shared, k.currentArgs().pointerArray());
                    } catch (CudaException e) {
                        throw new Mismatch("the driver refused to update " + k.function().name() + ": " + e.getMessage());
                    }
                    n.dims = dims;
                    n.args = bytes(args);
                }
            }
        }
    }

    /**
     * An operation of the step that is not a kernel launch (a copy from pinned memory or between device
     * buffers, a cuBLAS product) on {@code operands} (its addresses and sizes): run as it is, captured as it
     * is, and skipped in update mode, where the graph does it with the captured operands. These nodes are not
     * updated, so different operands (a buffer grown and reallocated since the capture, which the node would
     * still copy to) fail the update and the step is captured again.
     */
    void other(Runnable operation, long... operands) {
        if (mode == Mode.UPDATE) {
            Node n = next();
            if (n.function != 0) {
                throw new Mismatch("operation " + (cursor - 1) + " is not the captured one");
            }
            if (!Arrays.equals(n.operands, operands)) {
                throw new Mismatch("operation " + (cursor - 1) + " works on other memory than when it was captured");
            }
            return;
        }
        operation.run();
        if (mode == Mode.CAPTURE) {
            current.nodes.add(new Node(0, 0, null, null, operands.clone()));
        }
    }

    /** Fails update mode and capture for an operation a graph cannot replay (an allocation, a pageable copy). */
    void refuse(String what) {
        if (mode != Mode.EAGER) {
            throw new Mismatch(what + " inside a replayed step");
        }
    }

    private Node next() {
        if (cursor >= current.nodes.size()) {
            throw new Mismatch("more operations than the " + current.nodes.size() + " captured");
        }
        return current.nodes.get(cursor++);
    }

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    private void discard(Object key) {
        Step s = steps.remove(key);
        if (s != null && s.graph != null) {
            s.graph.close();
        }
    }

    private void evictOldest() {
        while (steps.size() > KEPT) {
            Iterator<Map.Entry<Object, Step>> it = steps.entrySet().iterator();
            Step s = it.next().getValue();
            it.remove();
            if (s.graph != null) {
                s.graph.close();
            }
        }
    }

    void close() {
        for (Step s : steps.values()) {
            if (s.graph != null) {
                s.graph.close();
            }
        }
        steps.clear();
    }
}
