package dev.longlm.backend.cpu;

/**
 * An order of a row's 8-bit activation levels matched to how a weight type packs its values, so an
 * integer kernel can load 64 weight bytes as 32 16-bit lanes, isolate one nibble (or bit field) per
 * lane with a shift and a mask, and multiply it lane by lane with 32 consecutive entries of the
 * reordered levels. Within every {@code span} values, position {@code i} of the reordered row holds
 * the level of value {@code order[i]}.
 */
record LevelPlanes(String name, int span, int[] order) {
    LevelPlanes {
        if (order.length != span) {
            throw new IllegalArgumentException(name + ": order has " + order.length + " entries for a span of " + span);
        }
    }

    /**
     * Four planes of 32 per 128 values for weights whose 16-bit lane {@code t} covers bytes
     * {@code 2t} and {@code 2t + 1} of a 64-byte group: plane 0 holds the values in the low nibble of
     * byte {@code 2t}, plane 1 its high nibble, plane 2 the low nibble of byte {@code 2t + 1}, plane 3
     * its high nibble. {@code valueOf(byteIndex, highNibble)} names the value a nibble stands for.
     */
    static LevelPlanes nibbles(String name, NibbleValue valueOf) {
        int[] order = new int[128];
        for (int t = 0; t < 32; t++) {
            order[t] = valueOf.of(2 * t, false);
            order[32 + t] = valueOf.of(2 * t, true);
            order[64 + t] = valueOf.of(2 * t + 1, false);
            order[96 + t] = valueOf.of(2 * t + 1, true);
        }
        return new LevelPlanes(name, 128, order);
    }

    /** Which of 128 values the low or high nibble of byte {@code byteIndex} (0-63) of a group holds. */
    @FunctionalInterface
    interface NibbleValue {
        int of(int byteIndex, boolean highNibble);
    }
}
