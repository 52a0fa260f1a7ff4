package dev.longlm.generate;

import dev.longlm.InputException;
import dev.longlm.backend.Backend;
import dev.longlm.backend.cpu.CpuBackend;
import dev.longlm.backend.cuda.CudaBackend;
import dev.longlm.backend.cuda.KvPrecision;

import java.util.Locale;

/**
 * Opens the backend a user names: {@code cpu} (the default), or {@code cuda} / {@code cuda:N} for GPU N
 * (everything on the GPU, as llama.cpp's {@code -ngl 99}).
 */
public final class Devices {
    private Devices() {
    }

    /**
     * The backend for {@code device}, with {@code threads} CPU threads where they apply and KV stores in
     * {@code kvType} ({@code f16} or {@code f32}; the CPU always keeps F32).
     */
    public static Backend open(String device, int threads, String kvType) {
        String d = device.toLowerCase(Locale.ROOT);
        if (d.equals("cpu")) {
            return new CpuBackend(threads);
        }
        if (d.equals("cuda") || d.startsWith("cuda:")) {
            int ordinal = 0;
            if (d.startsWith("cuda:")) {
                try {
                    ordinal = Integer.parseInt(d.substring(5));
                } catch (NumberFormatException e) {
                    throw new InputException("--device " + device + ": the GPU number must be an integer, e.g. cuda:0");
                }
            }
            return CudaBackend.open(ordinal, KvPrecision.parse(kvType));
        }
        throw new InputException("unknown --device '" + device + "'; choose cpu, cuda or cuda:N");
    }
}
