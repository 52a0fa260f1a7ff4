package dev.longlm.attention;

import java.util.LinkedHashMap;
import java.util.Map;

/** NTK-aware scaling: the RoPE base raised so that the lowest frequency is interpolated by s. */
public record NtkScaling(double factor) implements ContextMethod {
    public NtkScaling {
        ContextMethod.checkFactor(factor);
    }

    @Override
    public Kind kind() {
        return Kind.NTK;
    }

    @Override
    public Rope rope(Rope modelRope, int trained, int length) {
        double[] f = modelRope.inverseFrequencies();
        ContextMethod.scaleBase(f, modelRope.rotaryDims(), factor);
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
