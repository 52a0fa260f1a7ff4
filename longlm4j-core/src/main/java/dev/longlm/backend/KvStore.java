package dev.longlm.backend;

/**
 * One sequence's cached keys and values, per layer, where its {@link Backend} keeps them. Keys are
 * stored already rotated, at the positions their sequence's {@link dev.longlm.attention.PositionScheme}
 * gives; a scheme that needs true-position keys for its near range (Self-Extend) also gets a ring of
 * {@link KvShape#ringSlots()} keys per layer, key j in slot {@code j % ringSlots}. A store outlives the
 * sequences that use it: the server keeps one per slot and {@link #reset}s it for each request.
 */
public interface KvStore extends AutoCloseable {
    KvShape shape();

    /** Positions processed so far; the next token goes at this position. */
    int length();

    void setLength(int length);

    /** Empties the store and sizes its ring for a scheme needing {@code ringSlots} slots (reallocated only if it changes). */
    void reset(int ringSlots);

    /** The element type of its keys and values (a host copy holds exactly these values). */
    KvElement element();

    /** Bytes this store has actually allocated (measured from its buffers, not computed from its shape). */
    long allocatedBytes();

    /** Frees what the store holds; a no-op where memory is garbage-collected. */
    @Override
    default void close() {
    }
}
