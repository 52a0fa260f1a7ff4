package dev.longlm.backend.cuda;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The argument array read back the way the driver reads it: through the i-th pointer. */
class KernelArgsTest {
    private static MemorySegment value(KernelArgs args, int i) {
        return args.pointerArray().getAtIndex(ADDRESS, i).reinterpret(KernelArgs.SLOT_BYTES);
    }

    @Test
    void packsEveryTypeWhereItsPointerPoints() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena, 6);
            args.pointer(0x7f00_1234_5678L).pointer(new DeviceMemory(0x10_0000L, 64)).i32(-37).f32(1e-5f).f64(Math.PI)
                    .i64(1L << 40);
            assertEquals(6, args.count());
            assertEquals(0x7f00_1234_5678L, value(args, 0).get(JAVA_LONG, 0));
            assertEquals(0x10_0000L, value(args, 1).get(JAVA_LONG, 0));
            assertEquals(-37, value(args, 2).get(JAVA_INT, 0));
            assertEquals(1e-5f, value(args, 3).get(JAVA_FLOAT, 0));
            assertEquals(Math.PI, value(args, 4).get(JAVA_DOUBLE, 0));
            assertEquals(1L << 40, value(args, 5).get(JAVA_LONG, 0));
            int[] widths = {8, 8, 4, 4, 8, 8};
            for (int i = 0; i < widths.length; i++) {
                assertEquals(widths[i], args.width(i));
                assertEquals(0, value(args, i).address() % 8, "slot " + i + " is 8-byte aligned");
            }
        }
    }

    @Test
    void clearReusesTheSameSlots() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena, 2);
            args.i32(1).i32(2);
            long firstSlot = value(args, 0).address();
            args.clear().f32(3f);
            assertEquals(1, args.count());
            assertEquals(3f, value(args, 0).get(JAVA_FLOAT, 0));
            assertEquals(firstSlot, value(args, 0).address());
        }
    }

    @Test
    void refusesMoreThanItsCapacity() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena, 1).i32(1);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> args.i32(2));
            assertEquals("more than 1 kernel arguments; make KernelArgs larger", e.getMessage());
        }
    }

    @Test
    void checksArgumentsAgainstTheKernelsParameterSizes() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena, 4).pointer(1).i32(2);
            args.requireMatches(new int[] {8, 4}, "k");
            IllegalStateException wrongType = assertThrows(IllegalStateException.class,
                    () -> args.requireMatches(new int[] {8, 8}, "k"));
            assertEquals("kernel k takes 2 parameters of sizes [8, 8] but was given 2 of sizes [8, 4]",
                    wrongType.getMessage());
            assertThrows(IllegalStateException.class, () -> args.requireMatches(new int[] {8, 4, 4}, "k"));
        }
    }
}
