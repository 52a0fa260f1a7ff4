/**
 * The CPU kernels: weight matrices in every supported ggml type, read in place from the
 * memory-mapped GGUF file, conversion of floats to those types, element-wise vector operations
 * ({@link dev.longlm.backend.cpu.FloatArrays}) and the thread pool.
 *
 * <ul>
 *   <li>{@link dev.longlm.backend.cpu.WeightMatrix}: the interface the model uses; one record per type
 *       ({@code F32Matrix} … {@code Q6_KMatrix}), made by {@link dev.longlm.backend.cpu.WeightMatrices#of}.
 *       {@code dequantizeRow} is bit-identical to ggml's {@code dequantize_row_*}. A quantized type's
 *       {@code matvec} on rounded inputs runs its integer kernel ({@code integerMatvec}: weight
 *       levels times 8-bit activation levels in 16-bit lanes), which needs 512-bit vectors (AVX-512);
 *       elsewhere, or with {@code -Dlonglm.kernels=float}, the fused float kernels run (quantized
 *       values widened to float lanes; they need 8 or 16 float lanes, else rows are dequantized
 *       first). {@code matmul} dequantizes 4-row weight tiles once per L2-sized block of inputs.</li>
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
 *
 * <p>Results are deterministic: the same inputs give the same bits whatever the JIT tier and the
 * thread count. Only lane-wise Vector API operations are used (IEEE-exact, {@code fma} included, in
 * every tier), never {@code reduceLanes(ADD)} on floats nor {@code lanewise(EXP)}, whose results
 * change once C2 compiles the caller: lanes are summed by {@link dev.longlm.backend.cpu.LaneSum}
 * and exponentials come from {@link dev.longlm.backend.cpu.Exponential}. Every output of a product
 * is computed from its own row alone, by the same operations wherever the row falls in a thread's
 * chunk or a matmul tile.
 */
package dev.longlm.backend.cpu;
