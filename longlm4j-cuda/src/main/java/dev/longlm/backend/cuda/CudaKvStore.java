package dev.longlm.backend.cuda;

import dev.longlm.backend.KvArray;
import dev.longlm.backend.KvElement;
import dev.longlm.backend.KvShape;
import dev.longlm.backend.KvStore;

/**
 * Keys and values of one sequence in device memory, head-major per layer
 * ({@code [kvHead][position][headDim]}, elements of {@link KvPrecision}): one allocation for every
 * layer's keys and values, and one for the ring of true-position keys when the scheme needs one.
 */
final class CudaKvStore implements KvStore {
    private final CudaDevice device;
    private final KvShape base;
    private final KvPrecision precision;
    private final DeviceMemory cache;
    private DeviceMemory ring;
    private int ringSlots;
    private int length;
    private boolean closed;

    CudaKvStore(CudaDevice device, KvShape shape, KvPrecision precision) {
        this.device = device;
        this.base = shape;
        this.precision = precision;
        this.cache = device.allocate("KV cache (" + shape.layers() + " layers × " + shape.capacity() + " positions, "
                + precision.name() + ")", 2L * shape.layers() * layerElements() * precision.bytes());
        allocateRing(shape.ringSlots());
    }

    private long layerElements() {
        return (long) base.capacity() * base.kvDim();
    }

    private void allocateRing(int slots) {
        if (ring != null) {
            device.synchronize(); // queued attention may still read the old ring
            device.free(ring);
            ring = null;
        }
        ringSlots = slots;
        if (slots > 0) {
            ring = device.allocate("Self-Extend ring (" + slots + " keys per layer)",
                    (long) base.layers() * slots * base.kvDim() * precision.bytes());
        }
    }

    @Override
    public KvShape shape() {
        return new KvShape(base.layers(), base.kvHeads(), base.headDim(), base.capacity(), ringSlots);
    }

    KvPrecision precision() {
        return precision;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void setLength(int length) {
        if (length < 0 || length > base.capacity()) {
            throw new IllegalArgumentException("cache length " + length + " outside [0, " + base.capacity() + "]");
        }
        this.length = length;
    }

    @Override
    public void reset(int ringSlots) {
        length = 0;
        if (ringSlots != this.ringSlots) {
            allocateRing(ringSlots);
        }
    }

    @Override
    public KvElement element() {
        return precision == KvPrecision.F16 ? KvElement.F16 : KvElement.F32;
    }

    /**
     * Rows {@code [first, first+n)} of head {@code kvHead} of {@code layer}'s {@code array}: contiguous
     * in device memory, as every array is head-major ({@code [kvHead][row][headDim]}).
     */
    DeviceMemory rows(KvArray array, int layer, int kvHead, int first, int n) {
        long rows = array == KvArray.RING ? ringSlots : base.capacity();
        if (first < 0 || n < 0 || first + n > rows || kvHead < 0 || kvHead >= base.kvHeads() || layer < 0 || layer >= base.layers()) {
            throw new IllegalArgumentException("rows [" + first + ", " + (first + n) + ") of head " + kvHead + " of layer " + layer
                    + "'s " + array + " array of " + rows);
        }
        long start = array == KvArray.KEYS ? keys(layer) : array == KvArray.VALUES ? values(layer) : ring(layer);
        long rowBytes = (long) base.headDim() * precision.bytes();
        return new DeviceMemory(start + (kvHead * rows + first) * rowBytes, n * rowBytes);
    }

    @Override
    public long allocatedBytes() {
        return cache.bytes() + (ring == null ? 0 : ring.bytes());
    }

    int ringSlots() {
        return ringSlots;
    }

    long keys(int layer) {
        return cache.address() + 2L * layer * layerElements() * precision.bytes();
    }

    long values(int layer) {
        return keys(layer) + layerElements() * precision.bytes();
    }

    /** The ring of {@code layer}, or 0 when the scheme keeps none. */
    long ring(int layer) {
        return ring == null ? 0 : ring.address() + (long) layer * ringSlots * base.kvDim() * precision.bytes();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            device.free(cache);
            if (ring != null) {
                device.free(ring);
            }
        }
    }
}
