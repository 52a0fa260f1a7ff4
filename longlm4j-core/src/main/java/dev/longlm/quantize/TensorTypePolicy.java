package dev.longlm.quantize;

import dev.longlm.gguf.GgmlType;
import dev.longlm.gguf.GgufTensorInfo;

import java.util.List;

/**
 * Chooses each tensor's type for a target, following llama.cpp's llama_tensor_get_type
 * (src/llama-quant.cpp) for dense models: which tensors are quantized at all, the output /
 * tied-embedding and _M-mix upgrades, and the fallback for rows that do not fill whole blocks.
 * Stateful like llama.cpp's: attn_v and ffn_down layers are counted in file order, so create one
 * policy per model and ask in file order.
 */
final class TensorTypePolicy {
    private final QuantTarget target;
    private final boolean tiedEmbeddings;
    private final int attentionVCount;
    private final int layerCount;
    private int attentionVSeen;
    private int ffnDownSeen;

    TensorTypePolicy(QuantTarget target, List<GgufTensorInfo> tensors, int blockCount) {
        this.target = target;
        this.tiedEmbeddings = tensors.stream().noneMatch(t -> t.name().equals("output.weight"));
        this.attentionVCount = (int) tensors.stream().filter(t -> isAttentionV(t.name())).count();
        this.layerCount = blockCount > 0 ? blockCount
                : (int) tensors.stream().filter(t -> t.name().contains("ffn_down")).count();
    }

    /** Name fragments of 2-D tensors llama.cpp never quantizes (tensor_allows_quantization): small or sensitive. */
    private static final List<String> KEPT_AS_IS = List.of("_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight",
            "altup", "laurel", "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight",
            "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight",
            "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
            "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
            "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
            ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
            "a.rvq.codebook", "mm.a.code_embd");

    /** llama.cpp quantizes tensors of two or more dimensions named *weight, except those above and positional tables. */
    static boolean quantizable(GgufTensorInfo t) {
        String name = t.name();
        return t.shape().length >= 2 && name.endsWith("weight") && !name.equals("position_embd.weight")
                && !name.equals("token_types.weight") && KEPT_AS_IS.stream().noneMatch(name::contains);
    }

    /** The type {@code t} gets in the output file; call once per tensor, in file order. */
    GgmlType typeFor(GgufTensorInfo t) {
        if (!quantizable(t)) {
            return t.type();
        }
        GgmlType type = target.baseType();
        if (type == GgmlType.F16 || type == GgmlType.BF16) {
            return type; // llama.cpp applies the mix rules to quantized targets only
        }
        String name = t.name();
        long cols = t.shape()[0];
        if (name.equals("output.weight") || (tiedEmbeddings && name.equals("token_embd.weight"))) {
            // the output projection is the most sensitive matrix: Q6_K unless the target is Q8_0
            if (cols % 256 != 0) {
                type = GgmlType.Q8_0;
            } else if (type != GgmlType.Q8_0) {
                type = GgmlType.Q6_K;
            }
        } else if (name.equals("token_embd.weight")) {
            // untied embeddings keep the base type
        } else if (isAttentionV(name)) {
            if (isKMix() && useMoreBits(attentionVSeen, attentionVCount)) {
                type = GgmlType.Q6_K;
            }
            attentionVSeen++;
        } else if (name.contains("ffn_down")) {
            if (isKMix() && useMoreBits(ffnDownSeen, layerCount)) {
                type = GgmlType.Q6_K;
            }
            ffnDownSeen++;
        } else if (name.contains("attn_qkv.weight")) {
            if (target == QuantTarget.Q4_K_M) {
                type = GgmlType.Q5_K;
            } else if (target == QuantTarget.Q5_K_M) {
                type = GgmlType.Q6_K;
            }
        }
        return fallback(type, cols);
    }

    private boolean isKMix() {
        return target == QuantTarget.Q4_K_M || target == QuantTarget.Q5_K_M;
    }

    private static boolean isAttentionV(String name) {
        return name.contains("attn_v.weight");
    }

    /** llama.cpp's use_more_bits: the first and last eighth of the layers and every third one between. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /** Rows that do not fill whole 256-blocks drop to a 32-block type, and to F16 if even that does not fit. */
    static GgmlType fallback(GgmlType type, long cols) {
        if (cols % type.blockSize() == 0) {
            return type;
        }
        GgmlType smaller = switch (type) {
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> type;
        };
        return cols % smaller.blockSize() == 0 ? smaller : GgmlType.F16;
    }
}
