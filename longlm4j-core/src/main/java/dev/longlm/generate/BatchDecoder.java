package dev.longlm.generate;

import dev.longlm.backend.Backend;
import dev.longlm.model.DecodeRow;
import dev.longlm.model.InferenceState;
import dev.longlm.model.Model;
import dev.longlm.model.Transformer;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one token into each of several sessions with one forward pass: the weight matrices are
 * applied to all the sessions' rows together, attention runs per session against its own store. The
 * sessions may differ in length, context method and capacity, but must run on this decoder's backend;
 * each gets the logits its own {@link Session#decode} would give. Not thread-safe: one decoder per
 * decoding thread.
 */
public final class BatchDecoder implements AutoCloseable {
    private final Transformer transformer;
    private final InferenceState state;
    private final int vocabSize;
    private final List<DecodeRow> rows = new ArrayList<>();

    /** A decoder for up to {@code maxSequences} sessions of {@code model} per step on {@code backend}. */
    public BatchDecoder(Model model, Backend backend, int maxSequences) {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("a batch needs at least one sequence, got " + maxSequences);
        }
        this.transformer = model.on(backend);
        this.state = new InferenceState(model.config(), backend, maxSequences, true);
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
            Session session = sessions.get(i);
            if (session.backend() != transformer.backend()) {
                throw new IllegalArgumentException("session " + i + " runs on another backend");
            }
            rows.add(session.nextDecodeRow(tokens[i]));
        }
        return transformer.decodeBatch(rows, state);
    }

    @Override
    public void close() {
        state.close();
    }

    /** Where session {@code i}'s logits start in {@link #decode}'s result. */
    public int logitsOffset(int i) {
        return state.logitsOffset(i, vocabSize);
    }
}
