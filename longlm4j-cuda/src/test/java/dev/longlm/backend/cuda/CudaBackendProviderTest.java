package dev.longlm.backend.cuda;

import dev.longlm.backend.BackendProvider;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The core finds this module's backend through META-INF/services, as generate.Devices looks it up. */
class CudaBackendProviderTest {
    @Test
    void theCudaBackendIsRegisteredAsTheCudaDevice() {
        List<BackendProvider> providers = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        assertEquals(List.of(CudaBackendProvider.class), providers.stream().map(Object::getClass).toList());
        assertEquals("cuda", providers.getFirst().device());
    }
}
