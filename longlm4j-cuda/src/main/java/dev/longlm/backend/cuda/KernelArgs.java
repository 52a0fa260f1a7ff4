package dev.longlm.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A kernel's arguments packed the way {@code cuLaunchKernel} takes them: an array of pointers, the
 * i-th pointing at the i-th argument's value. Both live in native memory allocated once, with one
 * 8-byte slot per argument, and the pointer array is written once at construction, so packing and
 * launching allocate nothing: {@code args.clear().pointer(x).pointer(y).i32(n).f32(eps)}.
 *
 * <p>The driver copies the values at launch, so the same instance is reused for the next launch
 * at once (also while capturing a graph: each captured launch keeps the values it had). Not
 * thread-safe: one instance per launching thread.
 */
public final class KernelArgs {
    /** Bytes per argument slot: enough for any scalar or pointer a kernel takes. */
    public static final int SLOT_BYTES = 8;

    private final MemorySegment values;
    private final MemorySegment pointers;
    private final int[] widths;
    private int count;

    /** Room for {@code capacity} arguments, in memory owned by {@code arena}. */
    public KernelArgs(Arena arena, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("negative capacity " + capacity);
        }
        this.values = arena.allocate((long) Math.max(1, capacity) * SLOT_BYTES, SLOT_BYTES);
        this.pointers = arena.allocate((long) Math.max(1, capacity) * ADDRESS.byteSize(), ADDRESS.byteAlignment());
        this.widths = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            pointers.setAtIndex(ADDRESS, i, values.asSlice((long) i * SLOT_BYTES, SLOT_BYTES));
        }
    }

    /** Forgets the arguments set so far (the slots are overwritten by the next ones). */
    public KernelArgs clear() {
        count = 0;
        return this;
    }

    /** A device address ({@code T*} in the kernel). */
    public KernelArgs pointer(long deviceAddress) {
        values.set(JAVA_LONG, next(8), deviceAddress);
        return this;
    }

    /** The start of a device range ({@code T*}). */
    public KernelArgs pointer(DeviceMemory memory) {
        return pointer(memory.address());
    }

    /** {@code int} or {@code unsigned int}. */
    public KernelArgs i32(int value) {
        values.set(JAVA_INT, next(4), value);
        return this;
    }

    /** {@code long long}, {@code size_t} or {@code unsigned long long}. */
    public KernelArgs i64(long value) {
        values.set(JAVA_LONG, next(8), value);
        return this;
    }

    public KernelArgs f32(float value) {
        values.set(JAVA_FLOAT, next(4), value);
        return this;
    }

    public KernelArgs f64(double value) {
        values.set(JAVA_DOUBLE, next(8), value);
        return this;
    }

    /** How many arguments are set. */
    public int count() {
        return count;
    }

    /** The size in bytes of the {@code index}-th argument as set (4 or 8). */
    public int width(int index) {
        if (index >= count) {
            throw new IndexOutOfBoundsException("argument " + index + " of " + count);
        }
        return widths[index];
    }

    /** The argument values set so far, one {@link #SLOT_BYTES}-byte slot each (for comparing two launches' arguments). */
    public MemorySegment valueSlots() {
        return values.asSlice(0, (long) count * SLOT_BYTES);
    }

    /** The {@code void**} to hand to {@code cuLaunchKernel}. */
    public MemorySegment pointerArray() {
        return pointers;
    }

    /**
     * Checks the arguments set against a kernel's parameter sizes (from {@code cuFuncGetParamInfo}):
     * a missing, extra or mistyped argument would otherwise make the kernel read garbage.
     */
    public void requireMatches(int[] parameterSizes, String kernel) {
        boolean same = parameterSizes.length == count;
        for (int i = 0; same && i < count; i++) {
            same = parameterSizes[i] == widths[i];
        }
        if (!same) {
            throw new IllegalStateException("kernel " + kernel + " takes " + parameterSizes.length
                    + " parameters of sizes " + Arrays.toString(parameterSizes) + " but was given " + count
                    + " of sizes " + Arrays.toString(Arrays.copyOf(widths, count)));
        }
    }

    private long next(int width) {
        if (count == widths.length) {
            throw new IllegalStateException("more than " + widths.length + " kernel arguments; make KernelArgs larger");
        }
        widths[count] = width;
        return (long) count++ * SLOT_BYTES;
    }
}
