package dev.longlm.backend.cuda;

/** Device memory something needs, named for messages: {@code new MemoryRequest("KV cache", bytes)}. */
public record MemoryRequest(String what, long bytes) {
    public MemoryRequest {
        if (bytes < 0) {
            throw new IllegalArgumentException(what + ": negative size " + bytes);
        }
    }
}
