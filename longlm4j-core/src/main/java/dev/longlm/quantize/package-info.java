/**
 * Whole-model quantization, the Java counterpart of llama-quantize without an importance matrix:
 * {@link dev.longlm.quantize.ModelQuantizer} rewrites a GGUF file to a
 * {@link dev.longlm.quantize.QuantTarget}, choosing each tensor's type with llama.cpp's rules
 * (output and tied embeddings at Q6_K, the _M mixes' Q6_K layers for attn_v and ffn_down, fallbacks
 * for rows that do not fill whole blocks). On the bundled test model its output is byte-identical to
 * llama-quantize's.
 */
package dev.longlm.quantize;
