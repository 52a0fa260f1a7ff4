package dev.longlm.cli;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.DualChunkAttention;
import dev.longlm.attention.LeakyReRope;
import dev.longlm.attention.ReRope;
import dev.longlm.attention.SelfExtend;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The settings each {@code sweep --method} grid cell stands for, on a model trained on 256 positions. */
class SweepGridTest {
    private static final int L = 256;

    private static SweepGrid grid(ContextMethod.Kind kind) {
        return SweepGrid.of(kind, "2,4,8", "64,192", "4,16");
    }

    @Test
    void selfExtendCellsAreGroupSizeByWindow() {
        SweepGrid se = grid(ContextMethod.Kind.SELF_EXTEND);
        assertArrayEquals(new int[]{2, 4, 8}, se.columns());
        assertEquals(Optional.of(SelfExtend.of(4, 64)), se.setting(4, 64, L));
        assertEquals(Optional.empty(), se.setting(8, 60, L), "W must be a multiple of G");
        assertEquals("--group-size 4 --window 64", se.flags(4, 64));
        assertEquals("G4 W64", se.describe(4, 64));
    }

    @Test
    void dcaLeakyAndReropeCells() {
        SweepGrid dca = grid(ContextMethod.Kind.DCA);
        assertArrayEquals(new int[]{64, 192}, dca.columns());
        assertEquals(Optional.of(new DualChunkAttention(192, 64)), dca.setting(192, 64, L));
        assertEquals(Optional.empty(), dca.setting(64, 128, L), "w above s is not a setting");
        assertEquals("--chunk-size 192 --local-window 64", dca.flags(192, 64));
        SweepGrid leaky = grid(ContextMethod.Kind.LEAKY_REROPE);
        assertEquals("leaky-rerope:32:16", leaky.spec(16, 32));
        assertEquals(Optional.of(new LeakyReRope(32, 16)), leaky.setting(16, 32, L));
        assertEquals(Optional.empty(), leaky.setting(16, 256, L), "the window must be below L");
        SweepGrid rerope = grid(ContextMethod.Kind.REROPE);
        assertEquals(Optional.of(new ReRope(32)), rerope.setting(0, 32, L));
        assertEquals("--window 32", rerope.flags(0, 32));
        assertEquals("ReRoPE", rerope.columnLabel(0));
        assertThrows(InputException.class, () -> grid(ContextMethod.Kind.YARN));
    }
}
