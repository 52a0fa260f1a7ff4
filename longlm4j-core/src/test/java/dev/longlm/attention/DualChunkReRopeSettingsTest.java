package dev.longlm.attention;

import dev.longlm.InputException;
import dev.longlm.eval.MethodSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Validation, longest inputs and auto rules of DCA, ReRoPE and Leaky ReRoPE, for a trained context of 256. */
class DualChunkReRopeSettingsTest {
    private static final int L = 256;

    @Test
    void dcaSettingsThatCannotHoldTheInputSayWhatWouldFit() {
        assertThrows(InputException.class, () -> new DualChunkAttention(0, 1));
        InputException wide = assertThrows(InputException.class, () -> new DualChunkAttention(32, 33));
        assertTrue(wide.getMessage().contains("between 1 and the chunk size 32"), wide.getMessage());
        // s + w = 257 > 256: the inter-chunk query would sit at 256, past every trained relative position.
        DualChunkAttention over = new DualChunkAttention(192, 65);
        over.checkFits(L, L); // an input that fits L never reaches it
        InputException e = assertThrows(InputException.class, () -> over.checkFits(1024, L));
        assertTrue(e.getMessage().contains("use --local-window 64 or less"), e.getMessage());
        assertTrue(assertThrows(InputException.class, () -> new DualChunkAttention(256, 1).checkFits(300, L))
                .getMessage().contains("--chunk-size below 256, e.g. 192"));
        assertEquals(Long.MAX_VALUE, new DualChunkAttention(192, 64).maxLength(L));
    }

    @Test
    void reropeWindowMustStayInsideTheTrainedContext() {
        assertThrows(InputException.class, () -> new ReRope(0));
        assertEquals(Long.MAX_VALUE, new ReRope(255).maxLength(L));
        assertEquals(L, new ReRope(256).maxLength(L));
        assertTrue(assertThrows(InputException.class, () -> new ReRope(256).checkFits(257, L)).getMessage().contains("--window 64"));
    }

    @Test
    void leakyReropeLongestInputKeepsTheFarthestDistanceTrained() {
        LeakyReRope leaky = new LeakyReRope(64, 16);
        // w + (N − 1 − w)/k ≤ L − 1  ⇔  N ≤ (L − 1 − w)·k + w + 1 = 191·16 + 65
        assertEquals(3121, leaky.maxLength(L));
        assertEquals(255.0, leaky.farQueryPosition(3120) - leaky.storedKeyPosition(0), 1e-9);
        leaky.checkFits(3121, L);
        InputException e = assertThrows(InputException.class, () -> leaky.checkFits(4096, L));
        assertTrue(e.getMessage().contains("maximum 3121") && e.getMessage().contains("--leak 22 would fit"), e.getMessage());
        assertThrows(InputException.class, () -> new LeakyReRope(64, 1));
        assertThrows(InputException.class, () -> new LeakyReRope(64, Double.POSITIVE_INFINITY));
        assertSame(Plain.INSTANCE, ContextMethod.leakyRerope(64, 1));
    }

    @Test
    void autoRulesPickFromTheInputLength() {
        assertSame(Plain.INSTANCE, DualChunkAttention.auto(L, 200, null, null));
        assertEquals(new DualChunkAttention(192, 64), DualChunkAttention.auto(L, 1024, null, null));
        assertEquals(new DualChunkAttention(128, 128), DualChunkAttention.auto(L, 100, 128, null));
        assertEquals(new DualChunkAttention(192, 32), DualChunkAttention.auto(L, 1024, null, 32));
        assertSame(Plain.INSTANCE, ReRope.auto(L, 256, null));
        assertEquals(new ReRope(64), ReRope.auto(L, 4096, null));
        assertSame(Plain.INSTANCE, LeakyReRope.auto(L, 256, null, null));
        // Self-Extend's rule for G: smallest whole k with w + (N − w)/k ≤ ⅔·256 = 170.7
        assertEquals(new LeakyReRope(64, 9), LeakyReRope.auto(L, 1024, null, null)); // 64 + 960/9 = 170.7
        assertEquals(new LeakyReRope(64, 37), LeakyReRope.auto(L, 4000, null, null)); // 64 + 3936/37 = 170.4
        assertEquals(new LeakyReRope(32, 8), LeakyReRope.auto(L, 1817, 32, 8.0)); // (255 − 32)·8 + 33
        assertThrows(InputException.class, () -> LeakyReRope.auto(L, 1818, 32, 8.0));
    }

    @Test
    void evaluationSpecsNameAndResolveTheNewMethods() {
        List<MethodSpec> specs = MethodSpec.parseList("dca,dca:192:64,rerope:64,leaky-rerope:64:16,leaky-rerope:64");
        assertEquals(List.of("dca", "dca s192 w64", "rerope w64", "leaky-rerope w64 k16", "leaky-rerope w64 kauto"),
                specs.stream().map(MethodSpec::label).toList());
        assertSame(Plain.INSTANCE, specs.get(0).resolve(L, 256).orElseThrow());
        assertEquals(new DualChunkAttention(192, 64), specs.get(0).resolve(L, 4096).orElseThrow());
        assertEquals(Map.of("method", "dca", "chunk_size", 192, "local_window", 64), specs.get(1).resolve(L, 4096).orElseThrow().settings());
        assertTrue(specs.get(3).resolve(L, 3121).isPresent());
        assertTrue(specs.get(3).resolve(L, 4096).isEmpty(), "beyond the setting's longest input: a '–' cell");
        assertEquals(new LeakyReRope(64, 37), specs.get(4).resolve(L, 4000).orElseThrow());
        assertTrue(MethodSpec.parse("dca:192:65").resolve(L, 1024).isEmpty());
        assertThrows(InputException.class, () -> MethodSpec.parse("dca:32:64"));
        assertThrows(InputException.class, () -> MethodSpec.parse("rerope:64:2"));
        assertThrows(InputException.class, () -> MethodSpec.parse("leaky-rerope:64:0.5"));
    }

    @Test
    void schemesAreDataTheKernelReads() {
        assertEquals(KeyRanges.chunked(192), new DualChunkAttention(192, 64).ranges());
        assertEquals(0, new DualChunkAttention(192, 64).ringSlots());
        assertEquals(new KeyRanges(64, Integer.MAX_VALUE, true, 0), new ReRope(64).ranges());
        assertEquals(64, new LeakyReRope(64, 2).ringSlots());
        assertInstanceOf(DualChunkAttention.class, ContextMethod.of(new DualChunkAttention(6, 4)));
        assertThrows(IllegalArgumentException.class, () -> new KeyRanges(4, Integer.MAX_VALUE, false, 6));
    }
}
