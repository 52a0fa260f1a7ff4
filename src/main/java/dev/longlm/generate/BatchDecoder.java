package dev.longlm.generate;

import dev.longlm.model.DecodeRow;
import dev.longlm.model.InferenceState;
import dev.longlm.model.Model;
import dev.longlm.model.Transformer;
import dev.longlm.backend.cpu.Parallel;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one token into each of several sessions with one forward pass: the weight matrices are
 * applied to all the sessions' rows together, attention runs per session against its own cache. The
 * sessions may differ in length, context method and capacity; each gets the logits its own
 * {@link Session#decode} would give. Not thread-safe: one decoder per decoding thread.
 */
public final class BatchDecoder {
    private final Transformer weightsPass;
    private final InferenceState state;
    private final Parallel pool;
    private final int vocabSize;
    private final List<DecodeRow> rows = new ArrayList<>();

    /** A decoder for up to {@code maxSequences} sessions of {@code model} per step. */
    public BatchDecoder(Model model, int maxSequences, Parallel pool) {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("a batch needs at least one sequence, got " + maxSequences);
        }
        // The matrix products only need the weights; each row brings its own RoPE through its session.
        this.weightsPass = model.transformer(model.defaultRope());
        this.state = new InferenceState(model.config(), maxSequences, true);
        this.pool = pool;
        this.vocabSize = model.config().vocabSize();
    }

    public int maxSequences() {
        return state.batchCapacity();
    }

    /**
     * Appends {@code tokens[i]} to {@code sessions.get(i)} for every i, in one step. Returns the logits,
     * session i's at {@link #logitsOffset(int) logitsOffset(i)}; the array is valid until the next call.
     */
    public float[] decode(List<Session> sessions, int[] tokens) {
        if (sessions.size() != tokens.length) {
            throw new IllegalArgumentException(sessions.size() + " sessions but " + tokens.length + " tokens");
        }
        if (sessions.size() > maxSequences()) {
            throw new IllegalArgumentException(sessions.size() + " sessions exceed this decoder's " + maxSequences());
        }
        rows.clear();
        for (int i = 0; i < tokens.length; i++) {
            rows.add(sessions.get(i).nextDecodeRow(tokens[i]));
        }
        weightsPass.decodeBatch(rows, state, pool);
        return state.logits();
    }

    /** Where session {@code i}'s logits start in {@link #decode}'s result. */
    public int logitsOffset(int i) {
        return state.logitsOffset(i, vocabSize);
    }
}
