package dev.longlm.model;

import dev.longlm.gguf.GgufValue;

import java.io.IOException;
import java.nio.file.Path;

/** {@link HostileMetadataTest#withMetadata} for tests in other packages. */
public final class HostileMetadataAccess {
    private HostileMetadataAccess() {
    }

    public static Path withMetadata(Path dir, String key, GgufValue value) throws IOException {
        return HostileMetadataTest.withMetadata(dir, key, value);
    }
}
