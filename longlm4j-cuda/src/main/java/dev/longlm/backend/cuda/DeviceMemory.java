package dev.longlm.backend.cuda;

/**
 * A range of device memory: a {@code CUdeviceptr} and its length. Kernel arguments and copies take
 * the address; {@link #slice} and {@link #at} address parts of one allocation (weights of one layer
 * in a buffer of all layers, a row of the KV cache) without new allocations.
 */
public record DeviceMemory(long address, long bytes) {
    public DeviceMemory {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size " + bytes);
        }
    }

    /** The device address {@code offset} bytes in. */
    public long at(long offset) {
        if (offset < 0 || offset > bytes) {
            throw new IndexOutOfBoundsException("offset " + offset + " outside " + bytes + " bytes");
        }
        return address + offset;
    }

    /** {@code length} bytes from {@code offset}, within this range. */
    public DeviceMemory slice(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > bytes) {
            throw new IndexOutOfBoundsException("slice [" + offset + ", " + (offset + length) + ") outside "
                    + bytes + " bytes");
        }
        return new DeviceMemory(address + offset, length);
    }
}
