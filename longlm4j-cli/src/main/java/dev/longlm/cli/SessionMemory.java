package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.backend.Backend;
import dev.longlm.backend.MemoryBudget;
import dev.longlm.model.MemoryEstimate;
import dev.longlm.model.Model;

/**
 * Refuses a context that will not fit before its KV cache is allocated: the heap on the CPU (the model
 * is mapped, not copied), free GPU memory on a GPU (counting the weights too until they are loaded).
 */
final class SessionMemory {
    private SessionMemory() {
    }

    /**
     * @param positions what the user asked for, e.g. "--ctx 10000000"
     * @param flags     the flags that change the size, e.g. "--ctx or -n"
     */
    static void check(Backend backend, Model model, ContextMethod method, int capacity, boolean allLogits, String positions,
                      String flags) {
        check(backend, model, method, capacity, method.positionScheme().ringSlots(), allLogits, positions, flags);
    }

    /** As {@link #check(Backend, Model, ContextMethod, int, boolean, String, String)} for a store whose ring has {@code ringSlots} slots. */
    static void check(Backend backend, Model model, ContextMethod method, int capacity, int ringSlots, boolean allLogits,
                      String positions, String flags) {
        MemoryBudget budget = backend.memoryBudget();
        if (!budget.weightsResident() && capacity > MemoryEstimate.maxCpuPositions(model.config())) {
            throw new InputException(positions + ": the CPU KV cache holds at most "
                    + MemoryEstimate.maxCpuPositions(model.config()) + " positions of this model; lower " + flags);
        }
        estimate(backend, model, capacity, ringSlots, allLogits).requireFits(budget.availableBytes(),
                positions + " (" + capacity + " positions)", budget.what(), "lower " + flags + ", or " + budget.remedy());
    }

    /** What a session of {@code capacity} positions with a ring of {@code ringSlots} slots will claim. */
    static MemoryEstimate estimate(Backend backend, Model model, int capacity, int ringSlots, boolean allLogits) {
        MemoryBudget budget = backend.memoryBudget();
        MemoryEstimate estimate = MemoryEstimate.of(model.file(), model.config(), capacity, ringSlots, backend.promptBatch(), allLogits,
                budget.kvElementBytes(), budget.weightsResident());
        return !budget.weightsResident() || backend.holds(model.weights().weightSet()) ? estimate.withoutWeights() : estimate;
    }
}
