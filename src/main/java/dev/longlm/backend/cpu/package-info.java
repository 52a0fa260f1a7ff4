/**
 * Weight matrices in every supported ggml type, read in place from the memory-mapped GGUF file,
 * and conversion of floats to those types.
 *
 * <ul>
 *   <li>{@link dev.longlm.backend.cpu.WeightMatrix}: the interface the model uses; one record per type
 *       ({@code F32Matrix} … {@code Q6_KMatrix}), made by {@link dev.longlm.backend.cpu.WeightMatrices#of}.
 *       {@code dequantizeRow} is bit-identical to ggml's {@code dequantize_row_*}; {@code matvec}
 *       uses fused Vector API kernels (quantized values widened in vector lanes, no per-ISA code);
 *       {@code matmul} dequantizes 4-row weight tiles once per L2-sized block of inputs.</li>
 *   <li>{@link dev.longlm.backend.cpu.Quantizer}: floats to block bytes, byte-identical to ggml's
 *       reference quantizers (what llama-quantize writes without an importance matrix).</li>
 *   <li>{@link dev.longlm.backend.cpu.Parallel}: splits row ranges over a fixed thread pool; its
 *       {@code matvec}/{@code matmul} first round the inputs of quantized weights to ggml's 8-bit
 *       activation formats ({@link dev.longlm.backend.cpu.ActivationFormat},
 *       {@link dev.longlm.backend.cpu.QuantizedActivations}), as llama.cpp's CPU backend does, so outputs
 *       match llama.cpp's; F32/F16/BF16 weights keep F32 inputs. The kernels' own
 *       {@code matvec}/{@code matmul} take inputs as given.</li>
 * </ul>
 *
 * Exactness holds because Java float arithmetic is IEEE-strict and never fused, and ggml's
 * reference code lives in libggml-base, which llama.cpp compiles without FMA contraction. The
 * golden fixtures in src/test/resources/golden/quant (tools/golden/make-quant-fixtures.sh) pin it.
 */
package dev.longlm.backend.cpu;
