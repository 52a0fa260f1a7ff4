package dev.longlm.backend.cuda;

/** A GPU architecture version, e.g. 9.0 for Hopper (H100/H200), 8.9 for Ada, 8.0 for A100. */
public record ComputeCapability(int major, int minor) implements Comparable<ComputeCapability> {
    /** {@code 90} for 9.0: NVRTC's and nvcc's {@code sm_90} number. */
    public int code() {
        return major * 10 + minor;
    }

    /** {@code 90 → 9.0}. */
    public static ComputeCapability of(int code) {
        return new ComputeCapability(code / 10, code % 10);
    }

    @Override
    public int compareTo(ComputeCapability other) {
        return Integer.compare(code(), other.code());
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
