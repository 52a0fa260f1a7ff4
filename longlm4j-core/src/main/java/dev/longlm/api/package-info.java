/**
 * The public API of longlm4j: what an application needs, in one screen.
 *
 * <pre>{@code
 * try (LocalModel model = LocalModel.load(Path.of("model.gguf"), Device.cpu())) {   // or Device.cuda(0)
 *     GenerationOptions options = GenerationOptions.greedy(256)
 *             .withContext(ContextChoice.selfExtend());       // G chosen from the input length; or selfExtend(16, 64),
 *                                                             // dualChunk(), rerope(), none(), of(ContextMethod)
 *     Cancellation cancel = new Cancellation();               // cancel.cancel() from any thread stops generation
 *     GenerationResult r = model.generate(longDocument + "\nSummary:", options.withCancellation(cancel),
 *             piece -> System.out.print(piece));              // streamed as it is generated
 *     TextScore score = model.score(text, ContextChoice.selfExtend(8, 64));   // log-probabilities, perplexity
 * }
 * }</pre>
 *
 * Chat templates are in {@code dev.longlm.api.chat} (artifact {@code longlm4j-chat}), output constrained by a
 * JSON schema in {@code dev.longlm.api.json} ({@code longlm4j-structured}), the GPU backend in
 * {@code longlm4j-cuda} (on the class path, {@link dev.longlm.api.Device#cuda(int)} finds it). Every other
 * package is the engine's inside and may change between versions.
 *
 * <p>Thread-safety: {@link dev.longlm.api.LocalModel} may be shared between threads; it runs one request at
 * a time (others wait). The option and result records are immutable. {@link dev.longlm.api.Cancellation}
 * may be cancelled from any thread. Bad input (a missing file, an unsupported schema, a prompt longer than
 * the chosen method allows) is a {@link dev.longlm.InputException} whose message says what to change.
 */
package dev.longlm.api;
