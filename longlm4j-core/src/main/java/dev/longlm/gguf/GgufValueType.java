package dev.longlm.gguf;

/** Metadata value types of the GGUF format, by their on-disk number. */
public enum GgufValueType {
    UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64;

    public int id() {
        return ordinal();
    }

    /** Fewest bytes one value takes on disk (a string: its 8-byte length; an array: element type and length). */
    public int minBytes() {
        return switch (this) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64, STRING -> 8;
            case ARRAY -> 12;
        };
    }

    public static GgufValueType fromId(int id) {
        GgufValueType[] all = values();
        return id >= 0 && id < all.length ? all[id] : null;
    }
}
