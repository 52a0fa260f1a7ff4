package dev.longlm.backend.cpu;

/**
 * A weight type with an integer matvec (see {@link IntegerKernels}). The choice between that kernel
 * and the float path is made here, once for every type: the integer kernel runs where 512-bit
 * vectors exist, the input is rounded to the type's {@link ActivationFormat} and the columns fill
 * whole spans of the kernel's {@link LevelPlanes}.
 */
interface IntegerMatvecMatrix extends RowDequantizingMatrix {
    /** The order of activation levels the integer kernel reads. */
    LevelPlanes levelPlanes();

    /**
     * The integer kernel whatever the hardware ({@code x} prepared, columns a multiple of the span);
     * tests call it directly, it is slow without 512-bit vectors.
     */
    void integerMatvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd);

    @Override
    default void prepare(QuantizedActivations x) {
        if (integerKernelFits(x)) {
            x.planes(levelPlanes());
        }
    }

    @Override
    default void matvec(QuantizedActivations x, float[] out, int outOffset, int rowStart, int rowEnd) {
        if (integerKernelFits(x)) {
            integerMatvec(x, out, outOffset, rowStart, rowEnd);
        } else {
            RowDequantizingMatrix.super.matvec(x, out, outOffset, rowStart, rowEnd);
        }
    }

    private boolean integerKernelFits(QuantizedActivations x) {
        return IntegerKernels.ENABLED && x.format() == ActivationFormat.forWeights(type()) && cols() % levelPlanes().span() == 0;
    }
}
