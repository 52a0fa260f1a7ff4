package dev.longlm.generate;

import dev.longlm.InputException;
import dev.longlm.backend.Backend;
import dev.longlm.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The core's class path has no longlm4j-cuda: a GPU device is one line naming the module to add. */
class DevicesTest {
    @Test
    void cpuOpensTheCpuBackend() {
        try (Backend backend = Devices.open("CPU", 1, "f16")) {
            assertInstanceOf(CpuBackend.class, backend);
        }
    }

    @Test
    void cudaWithoutTheCudaModuleNamesTheModule() {
        InputException e = assertThrows(InputException.class, () -> Devices.open("cuda:1", 1, "f16"));
        assertEquals("--device cuda:1 needs the CUDA backend, which is not on the class path: add the dependency"
                + " dev.longlm:longlm4j-cuda (the longlm CLI jar has it)", e.getMessage());
    }

    @Test
    void anUnknownDeviceListsTheChoices() {
        InputException e = assertThrows(InputException.class, () -> Devices.open("tpu:0", 1, "f16"));
        assertEquals("unknown --device 'tpu:0'; choose cpu, cuda or cuda:N", e.getMessage());
    }
}
