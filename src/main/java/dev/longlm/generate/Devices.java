package dev.longlm.generate;

import dev.longlm.InputException;
import dev.longlm.backend.Backend;
import dev.longlm.backend.cpu.CpuBackend;

import java.util.Locale;

/** Opens the backend a user names: {@code cpu} (the default) or {@code cuda}. */
public final class Devices {
    private Devices() {
    }

    /** The backend for {@code device} ("cpu" or "cuda"), with {@code threads} CPU threads where they apply. */
    public static Backend open(String device, int threads) {
        return switch (device.toLowerCase(Locale.ROOT)) {
            case "cpu" -> new CpuBackend(threads);
            default -> throw new InputException("unknown --device '" + device + "'; choose cpu or cuda");
        };
    }
}
