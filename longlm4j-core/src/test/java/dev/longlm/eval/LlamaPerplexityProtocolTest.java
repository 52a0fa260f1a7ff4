package dev.longlm.eval;

import dev.longlm.attention.ContextMethod;
import dev.longlm.model.Model;
import dev.longlm.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * llama.cpp's perplexity protocol ({@code --bos-per-window --score second-half}) against llama.cpp
 * itself: {@code llama-perplexity -m models/pd-llama-13m-ctx256-f16.gguf -f ../shared/data/sherlock.txt
 * -c N -b N --chunks 4 -t 2} (llama.cpp 0.5.0, commit de3ff81, built by tools/llamacpp/build.sh)
 * printed "Final estimate: PPL = 972.2516" for N = 256 and 562.7607 for N = 512 (2026-11-25).
 */
class LlamaPerplexityProtocolTest {
    private static Model model;
    private static CpuBackend backend;
    private static int[] stream;

    @BeforeAll
    static void load() throws Exception {
        model = ShippedModel.load();
        backend = new CpuBackend(Runtime.getRuntime().availableProcessors());
        stream = model.tokenizer().encode(ShippedModel.sherlockHead(), true, false);
    }

    @AfterAll
    static void close() {
        backend.close();
        model.close();
    }

    @ParameterizedTest(name = "N={0}: llama-perplexity {1}")
    @CsvSource({"256, 972.2516", "512, 562.7607"})
    void matchesLlamaPerplexity(int length, double llamaCppPpl) {
        PerplexityEval.Cell cell = PerplexityEval.run(model, ContextMethod.none(), stream, length,
                new PerplexityProtocol(4, true, true), backend, null);
        // llama-perplexity scores positions n_ctx/2 … n_ctx-2 of each chunk.
        assertEquals(4L * (length - 1 - length / 2), cell.predictions());
        // llama.cpp computes in F16 matrices with its own kernels: agreement to ~1e-3 in log-probabilities.
        assertEquals(llamaCppPpl, cell.perplexity(), llamaCppPpl * 0.002);
    }
}
