package dev.longlm.attention;

import dev.longlm.InputException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dual Chunk Attention (An et al., <i>Training-Free Long-Context Scaling of Large Language Models</i>,
 * ICML 2024, arXiv:2402.17463; code: HKUNLP/ChunkLlama) with chunk size s and local window w. The
 * sequence is cut into chunks of s tokens at absolute multiples of s; keys are cached at their in-chunk
 * position and the query at p, in-chunk index i = p mod s, is placed per chunk distance of the key:
 * <ul>
 *   <li>same chunk (intra-chunk, Eq. 2): at i, so the distance is the true one, p − j;</li>
 *   <li>the chunk before (successive-chunk, Eq. 7): at min(s + i, s + w − 1), which keeps the true
 *       distance to the nearest keys of that chunk and never exceeds s + w − 1;</li>
 *   <li>any earlier chunk (inter-chunk, Eq. 5): at s + w − 1 (the paper's c − 1).</li>
 * </ul>
 * The largest relative position is s + w − 1, so a setting with s + w ≤ L holds any length. The paper
 * defaults to w = c − s for a pretraining length c, i.e. w = L − s here.
 *
 * <p>Index rules: the paper's Eq. 2, 5, 7 and §3.3 ({@code P_succ = [s, s+1, …, s+w−1, c−1, …, c−1]});
 * in the authors' code, {@code chunkllama_attn_replace.py} at HKUNLP/ChunkLlama 2add4d7, lines 47–52
 * ({@code chunk_len = chunk_size - local_window}; {@code qc_t = (arange(chunk_len) + chunk_len).clamp(max=chunk_size)};
 * {@code k_t = arange(...) % chunk_len}), line 152 ({@code position_ids % chunk_len}) and lines 186–189
 * (the inter-chunk query takes {@code qc} at in-chunk index {@code chunk_len − 1}). The code clamps the
 * successive query at {@code chunk_size} where the paper clamps at c − 1, so the code's
 * {@code (chunk_size, local_window)} is our {@code (s, w) = (chunk_size − local_window, local_window + 1)}:
 * the same positions, named by the paper. Its inter-chunk position min(2s − 1, s + w − 1) equals the
 * paper's c − 1 because we require w ≤ s. (vLLM's and SGLang's {@code DualChunkRotaryEmbedding}, used
 * for Qwen2.5-1M's {@code dual_chunk_attention_config {chunk_size, local_size}}, compute the same
 * {@code q}, {@code qc} and {@code k} positions.)
 *
 * <p>Intra-chunk keys and queries are both at in-chunk positions, so no true-position keys are needed:
 * the cache is plain attention's, with no ring. The three ranges are {@link KeyRanges#chunked}.
 */
public record DualChunkAttention(int chunkSize, int localWindow) implements PositionScheme, ContextMethod {
    public DualChunkAttention {
        if (chunkSize < 1) {
            throw new InputException("DCA chunk size must be at least 1, got " + chunkSize);
        }
        if (localWindow < 1 || localWindow > chunkSize) {
            throw new InputException("DCA local window must be between 1 and the chunk size " + chunkSize + ", got " + localWindow);
        }
    }

    @Override
    public Kind kind() {
        return Kind.DCA;
    }

    @Override
    public PositionScheme positionScheme() {
        return this;
    }

    @Override
    public KeyRanges ranges() {
        return KeyRanges.chunked(chunkSize);
    }

    @Override
    public double storedKeyPosition(int j) {
        return j % chunkSize;
    }

    @Override
    public double nearQueryPosition(int p) {
        return p % chunkSize;
    }

    @Override
    public double successiveQueryPosition(int p) {
        return Math.min(chunkSize + p % chunkSize, largestPosition());
    }

    @Override
    public double farQueryPosition(int p) {
        return largestPosition();
    }

    /** s + w − 1: the successive query's clamp and the inter-chunk query's position, the largest relative position. */
    public int largestPosition() {
        return chunkSize + localWindow - 1;
    }

    @Override
    public boolean replacesSlidingWindow() {
        return true;
    }

    /** Any length when s + w ≤ L (no relative position beyond the trained ones); otherwise only inputs that fit L anyway. */
    @Override
    public long maxLength(int trainedContext) {
        return largestPosition() < trainedContext ? Long.MAX_VALUE : trainedContext;
    }

    @Override
    public void checkFits(int length, int trainedContext) {
        if (length > maxLength(trainedContext)) {
            throw new InputException("DCA chunk size " + chunkSize + " + local window " + localWindow + " exceeds the trained context "
                    + trainedContext + " (its largest relative position s + w - 1 must stay below it); "
                    + (chunkSize < trainedContext ? "use --local-window " + Math.min(chunkSize, trainedContext - chunkSize) + " or less"
                    : "use a --chunk-size below " + trainedContext + ", e.g. " + defaultChunk(trainedContext)));
        }
    }

    /** The paper's typical chunk size, 3/4 of the trained context. */
    static int defaultChunk(int trainedContext) {
        return Math.max(1, trainedContext * 3 / 4);
    }

    /**
     * DCA for an input of {@code length} tokens: s defaults to ¾·L (the paper's "chunk size s can be
     * typically set to 3/4 training length") and w to L − s (its w = c − s). With neither given, an
     * input that fits the trained context gets plain attention, as {@code --self-extend auto} does.
     */
    public static ContextMethod auto(int trainedContext, int length, Integer chunkSize, Integer localWindow) {
        if (chunkSize == null && localWindow == null && length <= trainedContext) {
            return Plain.INSTANCE;
        }
        int s = chunkSize != null ? chunkSize : defaultChunk(trainedContext);
        int w = localWindow != null ? localWindow : Math.min(s, trainedContext - s);
        if (w < 1) {
            throw new InputException("DCA chunk size " + s + " leaves no local window below the trained context " + trainedContext
                    + "; use a --chunk-size below " + trainedContext + ", e.g. " + defaultChunk(trainedContext));
        }
        DualChunkAttention dca = new DualChunkAttention(s, w);
        dca.checkFits(length, trainedContext);
        return dca;
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", kind().flag());
        m.put("chunk_size", chunkSize);
        m.put("local_window", localWindow);
        return m;
    }

    @Override
    public String describe() {
        return kind().flag() + " s" + chunkSize + " w" + localWindow;
    }
}
