package dev.longlm.attention;

import java.util.LinkedHashMap;
import java.util.Map;

/** Position interpolation (Chen et al., 2023): every RoPE frequency divided by the scale s. */
public record LinearScaling(double factor) implements ContextMethod {
    public LinearScaling {
        ContextMethod.checkFactor(factor);
    }

    @Override
    public Kind kind() {
        return Kind.LINEAR;
    }

    @Override
    public Rope rope(Rope modelRope, int trained, int length) {
        double[] f = modelRope.inverseFrequencies();
        for (int i = 0; i < f.length; i++) {
            f[i] /= factor;
        }
        return modelRope.withFrequencies(f, modelRope.magnitude());
    }

    @Override
    public long maxLength(int trained) {
        return (long) Math.floor(trained * factor);
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
