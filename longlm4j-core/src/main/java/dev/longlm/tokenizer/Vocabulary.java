package dev.longlm.tokenizer;

import dev.longlm.InputException;
import dev.longlm.gguf.GgufMetadata;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The token table of a GGUF vocabulary with the attributes llama.cpp derives from it: token
 * kinds, special ids, the end-of-generation set and the special tokens to look for in text.
 * Built once per model; immutable afterwards.
 */
final class Vocabulary {
    static final String MODEL_KEY = "tokenizer.ggml.model";
    static final int NONE = -1;

    // Attribute bits (llama.cpp's llama_token_attr); a token can gain CONTROL or RSTRIP on load.
    static final int UNKNOWN = 1 << 1;
    static final int UNUSED = 1 << 2;
    static final int NORMAL = 1 << 3;
    static final int CONTROL = 1 << 4;
    static final int USER_DEFINED = 1 << 5;
    static final int BYTE = 1 << 6;
    static final int LSTRIP = 1 << 8;
    static final int RSTRIP = 1 << 9;

    enum Kind { SENTENCE_PIECE, BYTE_PAIR }

    // Token texts llama.cpp treats as ending generation (llama-vocab.cpp, special_eog_ids).
    private static final Set<String> END_OF_GENERATION_TEXTS = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[");
    // Fill-in-the-middle tokens that llama.cpp also counts as end of generation.
    private static final Set<String> FIM_END_TEXTS = Set.of(
            "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
            "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>");

    // gpt-oss chat markers that llama.cpp forces to user-defined so they always render.
    private static final Set<String> ALWAYS_RENDERED_TEXTS = Set.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>");

    private final String[] texts;
    private final int[] attributes;
    private final float[] scores;
    private final Map<String, Integer> idsByText;
    private final int bos;
    private final int eos;
    private final int unknown;
    private final BitSet endOfGeneration;
    private final boolean addBos;
    private final boolean addSpacePrefix;
    private final int[] specialTokensLongestFirst;

    private Vocabulary(String[] texts, int[] attributes, float[] scores, Map<String, Integer> idsByText,
                       int bos, int eos, int unknown, BitSet endOfGeneration, boolean addBos,
                       boolean addSpacePrefix, int[] specialTokensLongestFirst) {
        this.texts = texts;
        this.attributes = attributes;
        this.scores = scores;
        this.idsByText = idsByText;
        this.bos = bos;
        this.eos = eos;
        this.unknown = unknown;
        this.endOfGeneration = endOfGeneration;
        this.addBos = addBos;
        this.addSpacePrefix = addSpacePrefix;
        this.specialTokensLongestFirst = specialTokensLongestFirst;
    }

    static Vocabulary load(GgufMetadata md, Kind kind, boolean addBosDefault) {
        String[] texts = md.getStrings("tokenizer.ggml.tokens").orElseThrow(
                () -> new InputException("GGUF has no tokenizer.ggml.tokens; the model has no vocabulary"))
                .clone();
        int n = texts.length;
        float[] scores = readScores(md, n);
        int[] types = md.getInts("tokenizer.ggml.token_type").orElse(null);
        if (types != null && types.length < n) {
            throw new InputException("tokenizer.ggml.token_type has " + types.length + " entries for " + n + " tokens");
        }
        Map<String, Integer> ids = HashMap.newHashMap(n);
        int[] attributes = new int[n];
        for (int i = 0; i < n; i++) {
            if (texts[i].isEmpty()) {
                texts[i] = "[EMPTY_" + i + "]"; // as llama.cpp, so every token has a unique text
            }
            ids.put(texts[i], i);
            attributes[i] = types == null ? NORMAL : attributeOf(types[i]);
        }

        boolean sentencePiece = kind == Kind.SENTENCE_PIECE;
        int bos = specialId(md, "tokenizer.ggml.bos_token_id", sentencePiece ? 1 : NONE, n);
        int eos = specialId(md, "tokenizer.ggml.eos_token_id", sentencePiece ? 2 : NONE, n);
        int unknown = specialId(md, "tokenizer.ggml.unknown_token_id", sentencePiece ? 0 : NONE, n);
        int eot = specialId(md, "tokenizer.ggml.eot_token_id", NONE, n);
        int eom = specialId(md, "tokenizer.ggml.eom_token_id", NONE, n);

        BitSet eog = new BitSet(n);
        for (int i = 0; i < n; i++) {
            if (END_OF_GENERATION_TEXTS.contains(texts[i]) || FIM_END_TEXTS.contains(texts[i])) {
                eog.set(i);
                attributes[i] |= CONTROL; // llama.cpp overrides mis-typed end tokens to control
            }
            if (ALWAYS_RENDERED_TEXTS.contains(texts[i])) {
                attributes[i] = USER_DEFINED;
            }
        }
        for (int id : new int[] {eos, eot, eom}) {
            if (id != NONE) {
                eog.set(id);
            }
        }
        dropAmbiguousEndTokens(texts, attributes, eog, ids);

        int[] special = specialTokensLongestFirst(texts, attributes);
        applyPerModelStripping(md, ids, attributes, special);

        boolean addBos = md.getBoolean("tokenizer.ggml.add_bos_token", addBosDefault);
        boolean addSpacePrefix = md.getBoolean("tokenizer.ggml.add_space_prefix", sentencePiece);
        return new Vocabulary(texts, attributes, scores, ids, bos, eos, unknown, eog, addBos, addSpacePrefix, special);
    }

    /** gpt-oss/solar-open use <|end|> mid-turn, and Gemma 4/PaddleOCR use </s> mid-turn (llama.cpp workarounds). */
    private static void dropAmbiguousEndTokens(String[] texts, int[] attributes, BitSet eog, Map<String, Integer> ids) {
        boolean has = eog.stream().anyMatch(i -> texts[i].equals("<|return|>"));
        boolean hasCall = eog.stream().anyMatch(i -> texts[i].equals("<|call|>") || texts[i].equals("<|calls|>"));
        boolean hasFlush = eog.stream().anyMatch(i -> texts[i].equals("<|flush|>"));
        Integer end = ids.get("<|end|>");
        if (end != null && eog.get(end) && ((has && hasCall) || (hasCall && hasFlush))) {
            eog.clear(end);
            attributes[end] = USER_DEFINED;
        }
        Integer toolResponse = ids.get("<|tool_response>");
        Integer closingS = ids.get("</s>");
        if (toolResponse != null && closingS != null && eog.get(toolResponse) && eog.get(closingS)) {
            eog.clear(closingS);
            attributes[closingS] = NORMAL;
        }
    }

    /** Phi-3 strips whitespace after its special tokens (llama.cpp sets RSTRIP by model name). */
    private static void applyPerModelStripping(GgufMetadata md, Map<String, Integer> ids, int[] attributes, int[] special) {
        String name = md.getString("general.name", "").toLowerCase(Locale.ROOT);
        if (!name.contains("phi-3") && !name.contains("phi3")) {
            return;
        }
        for (int id : special) {
            attributes[id] |= RSTRIP;
        }
        Integer closingS = ids.get("</s>");
        if (closingS != null) {
            attributes[closingS] |= RSTRIP;
        }
        for (String text : List.of("<unk>", "<s>", "<|endoftext|>")) {
            Integer id = ids.get(text);
            if (id != null) {
                attributes[id] &= ~RSTRIP;
            }
        }
    }

    private static int[] specialTokensLongestFirst(String[] texts, int[] attributes) {
        List<Integer> special = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            if ((attributes[i] & (CONTROL | USER_DEFINED | UNKNOWN)) != 0) {
                special.add(i);
            }
        }
        // Longest first so that a token containing another one wins; ties by id for determinism.
        special.sort(Comparator.comparingInt((Integer id) -> -texts[id].length()).thenComparingInt(id -> id));
        return special.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int attributeOf(int tokenType) {
        return switch (tokenType) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> 0; // undefined: decodes to nothing, like llama.cpp
        };
    }

    private static float[] readScores(GgufMetadata md, int n) {
        Object raw = md.raw("tokenizer.ggml.scores").orElse(null);
        float[] scores = new float[n];
        if (raw instanceof float[] f) {
            checkLength(f.length, n);
            System.arraycopy(f, 0, scores, 0, n);
        } else if (raw instanceof int[] ints) {
            checkLength(ints.length, n);
            for (int i = 0; i < n; i++) {
                scores[i] = ints[i];
            }
        } else if (raw != null) {
            throw new InputException("tokenizer.ggml.scores must be an array of float32 or int32");
        }
        return scores;
    }

    private static void checkLength(int length, int n) {
        if (length < n) {
            throw new InputException("tokenizer.ggml.scores has " + length + " entries for " + n + " tokens");
        }
    }

    private static int specialId(GgufMetadata md, String key, int fallback, int n) {
        long id = md.getLong(key, fallback);
        if (id >= n) {
            return fallback >= 0 && fallback < n ? fallback : NONE; // llama.cpp ignores out-of-range ids
        }
        return id < 0 ? NONE : (int) id;
    }

    int size() {
        return texts.length;
    }

    String text(int id) {
        checkId(id);
        return texts[id];
    }

    float score(int id) {
        return scores[id];
    }

    int attributes(int id) {
        checkId(id);
        return attributes[id];
    }

    boolean has(int id, int attribute) {
        return (attributes(id) & attribute) != 0;
    }

    /** The id of the token with exactly this text, or {@link #NONE}. */
    int idOf(String text) {
        Integer id = idsByText.get(text);
        return id == null ? NONE : id;
    }

    int bos() {
        return bos;
    }

    int eos() {
        return eos;
    }

    int unknown() {
        return unknown;
    }

    boolean isEndOfGeneration(int id) {
        return id >= 0 && endOfGeneration.get(id);
    }

    boolean addBos() {
        return addBos;
    }

    boolean addSpacePrefix() {
        return addSpacePrefix;
    }

    /** Control, user-defined and unknown tokens, longest text first: the order llama.cpp matches them in. */
    int[] specialTokensLongestFirst() {
        return specialTokensLongestFirst;
    }

    private void checkId(int id) {
        if (id < 0 || id >= texts.length) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + texts.length);
        }
    }
}
