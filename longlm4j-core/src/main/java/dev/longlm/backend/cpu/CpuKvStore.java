package dev.longlm.backend.cpu;

import dev.longlm.tensor.HalfFloat;

import dev.longlm.backend.KvArray;
import dev.longlm.backend.KvElement;
import dev.longlm.backend.KvShape;
import dev.longlm.backend.KvStore;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Keys and values of one sequence on the heap, per layer. Layout: head-major,
 * {@code [kvHead][position][headDim]} (the ring {@code [kvHead][slot][headDim]}), so that attention,
 * which works one KV head at a time, reads each head's keys and values as one contiguous stream instead
 * of a {@code headDim} slice out of every {@code kvDim} row.
 */
final class CpuKvStore implements KvStore {
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int capacity;
    private final float[][] keys;
    private final float[][] values;
    private float[][] ring;
    private int ringSlots;
    private int length;
    private final boolean f16;

    CpuKvStore(KvShape shape, boolean f16) {
        this.f16 = f16;
        this.layers = shape.layers();
        this.kvHeads = shape.kvHeads();
        this.headDim = shape.headDim();
        this.capacity = shape.capacity();
        int perLayer = Math.multiplyExact(capacity, shape.kvDim());
        this.keys = new float[layers][perLayer];
        this.values = new float[layers][perLayer];
        allocateRing(shape.ringSlots());
    }

    private void allocateRing(int slots) {
        this.ringSlots = slots;
        this.ring = slots == 0 ? null : new float[layers][slots * kvHeads * headDim];
    }

    @Override
    public KvShape shape() {
        return new KvShape(layers, kvHeads, headDim, capacity, ringSlots);
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void setLength(int length) {
        if (length < 0 || length > capacity) {
            throw new IllegalArgumentException("cache length " + length + " outside [0, " + capacity + "]");
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
        return f16 ? KvElement.F16 : KvElement.F32;
    }

    @Override
    public long allocatedBytes() {
        long floats = 0;
        for (int l = 0; l < layers; l++) {
            floats += keys[l].length + values[l].length + (ring == null ? 0 : ring[l].length);
        }
        return floats * Float.BYTES;
    }

    int layers() {
        return layers;
    }

    int kvHeads() {
        return kvHeads;
    }

    int headDim() {
        return headDim;
    }

    int capacity() {
        return capacity;
    }

    int ringSlots() {
        return ringSlots;
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    float[] ring(int layer) {
        return ring == null ? null : ring[layer];
    }

    /**
     * Where head {@code kvHead} of {@code position} starts in {@link #keys} and {@link #values}; the
     * next position of the same head follows {@code headDim} floats later.
     */
    int offset(int kvHead, int position) {
        return (kvHead * capacity + position) * headDim;
    }

    /** Where head {@code kvHead} of ring slot {@code slot} starts in {@link #ring}; slots follow each other likewise. */
    int ringOffset(int kvHead, int slot) {
        return (kvHead * ringSlots + slot) * headDim;
    }

    /** Copies one position's {@code kvDim} floats (heads consecutive, as projections produce them) into {@code array} at {@code position}. */
    void put(float[] array, int position, float[] src, int srcOffset) {
        for (int h = 0; h < kvHeads; h++) {
            System.arraycopy(src, srcOffset + h * headDim, array, offset(h, position), headDim);
            roundToF16(array, offset(h, position));
        }
    }

    /** The head vector at {@code offset} as an F16 cache holds it, when this store emulates one. */
    private void roundToF16(float[] array, int offset) {
        if (f16) {
            for (int d = offset; d < offset + headDim; d++) {
                array[d] = HalfFloat.f16ToF32(HalfFloat.f32ToF16(array[d]));
            }
        }
    }

    /** Stores the true-position key of {@code position} (heads consecutive) in its ring slot {@code position % slots}. */
    void putRingKey(int layer, int position, float[] src, int srcOffset) {
        int slot = position % ringSlots;
        for (int h = 0; h < kvHeads; h++) {
            System.arraycopy(src, srcOffset + h * headDim, ring[layer], ringOffset(h, slot), headDim);
            roundToF16(ring[layer], ringOffset(h, slot));
        }
    }

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Copies rows {@code [first, first+n)} of {@code array} of {@code layer}, head-major, to or from
     * {@code host} (see {@code Backend.readKv}); an F16 store's floats are F16 values, so they convert exactly.
     */
    void copy(KvArray kind, int layer, int first, int n, MemorySegment host, boolean toHost) {
        int rows = kind == KvArray.RING ? ringSlots : capacity;
        if (first < 0 || n < 0 || first + n > rows) {
            throw new IllegalArgumentException("rows [" + first + ", " + (first + n) + ") of a " + kind + " array of " + rows);
        }
        float[] array = kind == KvArray.KEYS ? keys[layer] : kind == KvArray.VALUES ? values[layer] : ring[layer];
        long elementBytes = element().bytes();
        for (int h = 0; h < kvHeads; h++) {
            int from = kind == KvArray.RING ? ringOffset(h, first) : offset(h, first);
            long at = (long) h * n * headDim * elementBytes;
            int count = n * headDim;
            if (!f16) {
                if (toHost) {
                    MemorySegment.copy(array, from, host, F32_LE, at, count);
                } else {
                    MemorySegment.copy(host, F32_LE, at, array, from, count);
                }
            } else {
                for (int i = 0; i < count; i++) {
                    if (toHost) {
                        host.set(F16_LE, at + 2L * i, HalfFloat.f32ToF16(array[from + i]));
                    } else {
                        array[from + i] = HalfFloat.f16ToF32(host.get(F16_LE, at + 2L * i));
                    }
                }
            }
        }
    }
}
