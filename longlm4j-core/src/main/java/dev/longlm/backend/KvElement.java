package dev.longlm.backend;

/** How a {@link KvStore} keeps each key and value component: what a host copy of it holds, and its size. */
public enum KvElement {
    F32(4), F16(2);

    private final int bytes;

    KvElement(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }
}
