package dev.longlm.gguf;

/**
 * A tensor's entry in the GGUF header. {@code shape[0]} is the innermost (contiguous) dimension, as
 * in ggml: a matrix with {@code shape = {cols, rows}} stores {@code rows} rows of {@code cols} values.
 * {@code offset} is relative to the start of the tensor data section.
 */
public record GgufTensorInfo(String name, long[] shape, GgmlType type, long offset) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long byteSize() {
        return type.bytesFor(elementCount());
    }

    /** Rows of a 2-D (or higher) tensor: the product of all dimensions but the first. */
    public long rows() {
        return elementCount() / shape[0];
    }

    public int cols() {
        return Math.toIntExact(shape[0]);
    }

    public String shapeString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(']').toString();
    }
}
