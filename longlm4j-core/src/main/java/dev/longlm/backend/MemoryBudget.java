package dev.longlm.backend;

/**
 * The memory a backend can still give to a model and its contexts, so that an oversized request is
 * refused, naming both numbers, before anything is allocated.
 *
 * @param availableBytes  what is free now (the JVM heap on the CPU, device memory on a GPU)
 * @param what            the memory's name, e.g. "the Java heap" or "GPU 0 (NVIDIA H200)"
 * @param remedy          what the user can change beyond the context, e.g. "raise -Xmx"
 * @param kvElementBytes  bytes per cached key or value component
 * @param weightsResident whether the weights are copied into this memory (a GPU) or used in place from the file
 */
public record MemoryBudget(long availableBytes, String what, String remedy, int kvElementBytes, boolean weightsResident) {
}
