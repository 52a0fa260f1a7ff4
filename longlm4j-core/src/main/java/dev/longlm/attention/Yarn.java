package dev.longlm.attention;

import dev.longlm.InputException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * YaRN (Peng et al., 2023): pairs that complete fewer than α rotations over the trained context are
 * interpolated by s, pairs with more than β kept, a linear ramp between; cos and sin scaled by
 * {@code 0.1·ln s + 1}.
 */
public record Yarn(double factor, double alpha, double beta) implements ContextMethod {
    public Yarn {
        ContextMethod.checkFactor(factor);
        if (!(alpha > 0 && beta > alpha)) {
            throw new InputException("yarn needs 0 < alpha < beta, got alpha " + alpha + ", beta " + beta);
        }
    }

    @Override
    public Kind kind() {
        return Kind.YARN;
    }

    @Override
    public Rope rope(Rope modelRope, int trained, int length) {
        double[] f = modelRope.inverseFrequencies();
        for (int i = 0; i < f.length; i++) {
            // Rotations completed over the trained context decide interpolation vs extrapolation.
            double rotations = trained * f[i] / (2 * Math.PI);
            double ramp = Math.clamp((rotations - alpha) / (beta - alpha), 0.0, 1.0);
            f[i] = (1 - ramp) * f[i] / factor + ramp * f[i];
        }
        return modelRope.withFrequencies(f, (float) (modelRope.magnitude() * (0.1 * Math.log(factor) + 1)));
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
        m.put("alpha", alpha);
        m.put("beta", beta);
        return m;
    }

    @Override
    public String describe() {
        return kind().flag() + " s=" + factor;
    }
}
