package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.generate.Session;
import dev.longlm.model.MemoryEstimate;
import dev.longlm.model.Model;

/** Refuses a context that will not fit before its KV cache is allocated (the model is already loaded). */
final class SessionMemory {
    /** How to give the JVM more heap through the launcher. */
    static final String MORE_HEAP = "raise the heap with -Xmx (e.g. LONGLM_JAVA_OPTS=-Xmx16g ./longlm ...)";

    private SessionMemory() {
    }

    /**
     * @param positions what the user asked for, e.g. "--ctx 10000000"
     * @param flags     the flags that change the size, e.g. "--ctx or -n"
     */
    static void check(Model model, ContextMethod method, int capacity, boolean allLogits, String positions, String flags) {
        if (capacity > MemoryEstimate.maxCpuPositions(model.config())) {
            throw new InputException(positions + ": the CPU KV cache holds at most "
                    + MemoryEstimate.maxCpuPositions(model.config()) + " positions of this model; lower " + flags);
        }
        MemoryEstimate.forSession(model.file(), model.config(), method, capacity, Session.DEFAULT_BATCH, allLogits)
                .withoutWeights()
                .requireFits(MemoryEstimate.availableHeap(), positions + " (" + capacity + " positions)", "the Java heap",
                        "lower " + flags + ", or " + MORE_HEAP);
    }
}
