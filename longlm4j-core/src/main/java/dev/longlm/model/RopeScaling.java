package dev.longlm.model;

import dev.longlm.InputException;
import dev.longlm.Printable;
import dev.longlm.gguf.GgufMetadata;

import java.nio.file.Path;

/**
 * RoPE frequency scaling from the {@code rope.scaling.*} metadata, as llama.cpp reads it. Per-pair
 * frequency factors (Llama 3's {@code rope_freqs}, LongRoPE's {@code rope_factors_long/short}) are
 * tensors, not metadata, and live in {@link ModelWeights}.
 *
 * @param type             "none", "linear" or "longrope" (llama.cpp's default when absent is "linear" with factor 1)
 * @param positionScale    multiplies every angle: {@code 1/rope.scaling.factor} (linear interpolation), 1 when none
 * @param attentionFactor  multiplies cos and sin ({@code rope.scaling.attn_factor}; LongRoPE's magnitude correction)
 * @param originalContext  {@code rope.scaling.original_context_length}: LongRoPE uses its long factors beyond it
 */
public record RopeScaling(String type, float positionScale, float attentionFactor, int originalContext) {

    static RopeScaling fromMetadata(HyperParameterReader hp, GgufMetadata md, String prefix, int trainedContext, Path file) {
        String type = md.getString(prefix + "rope.scaling.type", "linear");
        if (!type.equals("none") && !type.equals("linear") && !type.equals("longrope")) {
            throw new InputException(file + ": RoPE scaling " + Printable.quoted(type) + " is not supported (supported: none, linear, "
                    + "longrope, and Llama 3 frequency factors); use a model without it");
        }
        float factor = hp.nonNegative(prefix + "rope.scaling.factor", hp.nonNegative(prefix + "rope.scale_linear", 0f));
        float positionScale = type.equals("none") || factor == 0f ? 1f : 1f / factor;
        return new RopeScaling(type, positionScale, hp.positive(prefix + "rope.scaling.attn_factor", 1f, Float.POSITIVE_INFINITY),
                hp.integer(prefix + "rope.scaling.original_context_length", trainedContext, 1, ModelConfig.MAX_CONTEXT));
    }
}
