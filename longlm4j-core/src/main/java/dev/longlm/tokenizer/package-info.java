/**
 * Tokenizers reproducing llama.cpp (0.5.0) token for token: SentencePiece ({@code llama}) and
 * byte-level BPE ({@code gpt2}, pre-tokenizers of the GPT-2, Llama 3 and Qwen 2 families). Entry
 * point: {@link dev.longlm.tokenizer.Tokenizer#fromGguf}. Streaming output:
 * {@link dev.longlm.tokenizer.TokenDecoder}. Verified against llama.cpp's vocab test vectors
 * (src/test/resources/vocab).
 *
 * <p>Not reproduced: llama.cpp's clean_up_tokenization_spaces in whole-sequence decoding (it is
 * lossy, and llama.cpp's own streaming output does not apply it either), and the multi-regex
 * "default" pre-tokenizer used when a GGUF has no {@code tokenizer.ggml.pre}.
 */
package dev.longlm.tokenizer;
