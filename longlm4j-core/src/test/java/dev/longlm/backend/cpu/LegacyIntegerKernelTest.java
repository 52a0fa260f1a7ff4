package dev.longlm.backend.cpu;

import dev.longlm.gguf.GgmlType;
import org.junit.jupiter.api.Test;

/** The legacy types' integer kernels against the double reference of {@link IntegerKernelTest}, on any hardware. */
class LegacyIntegerKernelTest {
    @Test
    void q4_0MatchesDoubleReference() {
        IntegerKernelTest.assertMatchesReference(GgmlType.Q4_0, (m, x, out, s, e) -> ((Q4_0Matrix) m).integerMatvec(x, out, 0, s, e));
    }

    @Test
    void q8_0MatchesDoubleReference() {
        IntegerKernelTest.assertMatchesReference(GgmlType.Q8_0, (m, x, out, s, e) -> ((Q8_0Matrix) m).integerMatvec(x, out, 0, s, e));
    }

    @Test
    void q4_1MatchesDoubleReference() {
        IntegerKernelTest.assertMatchesReference(GgmlType.Q4_1, (m, x, out, s, e) -> ((Q4_1Matrix) m).integerMatvec(x, out, 0, s, e));
    }

    @Test
    void q5_0MatchesDoubleReference() {
        IntegerKernelTest.assertMatchesReference(GgmlType.Q5_0, (m, x, out, s, e) -> ((Q5_0Matrix) m).integerMatvec(x, out, 0, s, e));
    }

    @Test
    void q5_1MatchesDoubleReference() {
        IntegerKernelTest.assertMatchesReference(GgmlType.Q5_1, (m, x, out, s, e) -> ((Q5_1Matrix) m).integerMatvec(x, out, 0, s, e));
    }
}
