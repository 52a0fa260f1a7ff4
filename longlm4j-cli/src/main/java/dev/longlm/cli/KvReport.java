package dev.longlm.cli;

import dev.longlm.backend.KvShape;
import dev.longlm.generate.Session;

import java.io.PrintStream;
import java.util.Locale;

/** One line on what a session's KV store holds: measured bytes, against plain attention's cache of the same length. */
final class KvReport {
    private KvReport() {
    }

    static void print(Session session, PrintStream log) {
        KvShape shape = session.sequence().store().shape();
        long allocated = session.sequence().store().allocatedBytes();
        int element = session.backend().memoryBudget().kvElementBytes();
        long plain = 2L * shape.layers() * shape.capacity() * shape.kvDim() * element;
        log.printf(Locale.ROOT, "longlm: KV cache %.1f MiB for %d positions (plain attention's %.1f MiB + %.1f MiB: %d ring keys × %d layers)%n",
                allocated / 1048576.0, shape.capacity(), plain / 1048576.0, (allocated - plain) / 1048576.0, shape.ringSlots(),
                shape.layers());
    }
}
