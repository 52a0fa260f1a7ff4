package dev.longlm.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PerplexityProtocolTest {
    @Test
    void modelCardWindowsStartAfterBos() {
        PerplexityProtocol p = PerplexityProtocol.modelCard(4);
        assertEquals(257, p.windowTokens(256));
        assertEquals(1, p.windowStart(0, 256));
        assertEquals(1 + 3 * 256, p.windowStart(3, 256));
        assertEquals(0, p.firstScored(256));
        // 1 + 4·256 + 1 tokens hold 4 windows (the last token of each is only a target).
        assertEquals(4, p.windowCount(1 + 4 * 256 + 1, 256));
        assertEquals(3, p.windowCount(1 + 4 * 256, 256));
        assertEquals(4, p.windowCount(100_000, 256));
        assertEquals(390, new PerplexityProtocol(0, false, false).windowCount(100_000, 256));
    }

    @Test
    void llamaPerplexityWindowsAndSecondHalf() {
        PerplexityProtocol p = new PerplexityProtocol(0, true, true);
        assertEquals(512, p.windowTokens(512));
        assertEquals(1024, p.windowStart(2, 512));
        // llama-perplexity: first = n_ctx / 2.
        assertEquals(256, p.firstScored(512));
        assertEquals(2, p.windowCount(1024, 512));
    }
}
