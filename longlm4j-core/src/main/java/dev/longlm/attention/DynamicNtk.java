package dev.longlm.attention;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dynamic NTK: NTK-aware scaling with s recomputed from the current length, {@code s = α·len/L − (α − 1)},
 * only once the sequence outgrows the trained context L.
 *
 * @param factor the α of the rescaling rule (usually 1)
 */
public record DynamicNtk(double factor) implements ContextMethod {
    public DynamicNtk {
        ContextMethod.checkFactor(factor);
    }

    @Override
    public Kind kind() {
        return Kind.DYNAMIC_NTK;
    }

    @Override
    public Rope rope(Rope modelRope, int trained, int length) {
        double s = factor * length / trained - (factor - 1);
        if (!(s > 1)) {
            return modelRope;
        }
        double[] f = modelRope.inverseFrequencies();
        ContextMethod.scaleBase(f, modelRope.rotaryDims(), s);
        return modelRope.withFrequencies(f, modelRope.magnitude());
    }

    @Override
    public boolean ropeDependsOnLength() {
        return true;
    }

    @Override
    public long maxLength(int trained) {
        return Long.MAX_VALUE;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", kind().flag());
        m.put("factor", factor);
        return m;
    }

    @Override
    public String describe() {
        return kind().flag() + " s=" + factor;
    }
}
