package dev.longlm.tokenizer;

import dev.longlm.InputException;
import dev.longlm.gguf.GgufMetadata;

import java.util.OptionalInt;

/**
 * Text to token ids and back, reproducing llama.cpp's tokenizers token for token. Instances are
 * immutable and safe to share between threads.
 */
public interface Tokenizer {

    /** Supported values of {@code tokenizer.ggml.model}. */
    String SUPPORTED_MODELS = "llama (SentencePiece), gpt2 (byte-level BPE)";

    /**
     * Builds the tokenizer a GGUF file describes: {@code llama} is SentencePiece, {@code gpt2} is
     * byte-level BPE with the pre-tokenizer named by {@code tokenizer.ggml.pre}.
     */
    static Tokenizer fromGguf(GgufMetadata md) {
        String model = md.getString(Vocabulary.MODEL_KEY);
        return switch (model) {
            case "llama" -> new SentencePieceTokenizer(Vocabulary.load(md, Vocabulary.Kind.SENTENCE_PIECE, true));
            case "gpt2" -> BytePairTokenizer.create(md);
            default -> throw new InputException("unsupported tokenizer model '" + model + "' ("
                    + Vocabulary.MODEL_KEY + "); supported: " + SUPPORTED_MODELS);
        };
    }

    /**
     * Tokenizes {@code text}. {@code addBos} prepends the BOS token when the vocabulary has one
     * (whether a model wants it is {@link #addBosByDefault()}, the caller's decision).
     * {@code parseSpecial} lets the text of control tokens such as {@code <|im_start|>} or
     * {@code <s>} become those tokens; user-defined tokens are always recognised, as in llama.cpp.
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /** The bytes a token decodes to; control and unknown tokens decode to nothing. */
    default byte[] tokenBytes(int id) {
        return tokenBytes(id, false);
    }

    /** The bytes a token decodes to; {@code renderSpecial} gives control tokens their text. */
    byte[] tokenBytes(int id, boolean renderSpecial);

    /**
     * Decodes a whole sequence as llama.cpp's detokenize does (control tokens dropped; for
     * SentencePiece with a space prefix, the one space encode added at the start is removed).
     * Invalid UTF-8 becomes U+FFFD.
     */
    String decode(int[] ids);

    /** A fresh streaming decoder for generated tokens. */
    default TokenDecoder newDecoder() {
        return new TokenDecoder(this);
    }

    /** The BOS token id, or -1 if the vocabulary has none. */
    int bosId();

    /** The EOS token id, or -1 if the vocabulary has none. */
    int eosId();

    /** Whether generating this token ends the turn (EOS, EOT, EOM, {@code <|im_end|>}, ...). */
    boolean isEndOfGeneration(int id);

    int vocabSize();

    /** The token's text as stored in the vocabulary (with ▁ or byte-level characters). */
    String tokenText(int id);

    /** {@code tokenizer.ggml.add_bos_token}, or llama.cpp's default for this tokenizer. */
    boolean addBosByDefault();

    /** The id of the token whose vocabulary text is exactly {@code text}. */
    OptionalInt tokenId(String text);
}
