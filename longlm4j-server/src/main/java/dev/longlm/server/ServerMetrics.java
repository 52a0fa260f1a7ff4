package dev.longlm.server;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters behind {@code GET /metrics}, in Prometheus' text exposition format (version 0.0.4): the
 * decode loop adds prefill and decode work and prompt-cache use, request threads add outcomes and
 * times to first token. Rates are derived from the totals (tokens ÷ seconds of forward passes).
 */
final class ServerMetrics {
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder cachedPromptTokens = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder cacheMisses = new LongAdder();
    private final LongAdder prefillTokens = new LongAdder();
    private final DoubleAdder prefillSeconds = new DoubleAdder();
    private final LongAdder generatedTokens = new LongAdder();
    private final DoubleAdder decodeSeconds = new DoubleAdder();
    private final LongAdder firstTokens = new LongAdder();
    private final DoubleAdder firstTokenSeconds = new DoubleAdder();

    /** A request ended: {@code outcome} is ok, error, cancelled or timeout. */
    void request(String endpoint, String outcome) {
        requests.computeIfAbsent(endpoint + "\u0000" + outcome, k -> new LongAdder()).increment();
    }

    /** A request took a slot with {@code prompt} tokens of which {@code cached} came from the slot's cache. */
    void promptStarted(int prompt, int cached) {
        promptTokens.add(prompt);
        cachedPromptTokens.add(cached);
        (cached > 0 ? cacheHits : cacheMisses).increment();
    }

    void prefilled(int tokens, long nanos) {
        prefillTokens.add(tokens);
        prefillSeconds.add(nanos / 1e9);
    }

    /** One batched decode step (one token into each decoding request). */
    void decoded(long nanos) {
        decodeSeconds.add(nanos / 1e9);
    }

    /** A request finished with {@code tokens} generated (its first sampled from the prompt's logits). */
    void generated(int tokens) {
        generatedTokens.add(tokens);
    }

    void firstToken(long nanosSinceArrival) {
        firstTokens.increment();
        firstTokenSeconds.add(nanosSinceArrival / 1e9);
    }

    /** The exposition: every family with its HELP and TYPE lines. */
    String render(int slotsBusy, int slotsTotal, int waiting) {
        StringBuilder out = new StringBuilder();
        family(out, "longlm_requests_total", "counter", "Requests answered, by endpoint and outcome.");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String[] parts = e.getKey().split("\u0000");
            out.append("longlm_requests_total{endpoint=\"").append(parts[0]).append("\",outcome=\"").append(parts[1]).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        });
        sample(out, "longlm_prompt_tokens_total", "counter", "Prompt tokens of requests that took a slot.", promptTokens.sum());
        sample(out, "longlm_prompt_tokens_cached_total", "counter", "Prompt tokens reused from a slot's cache (not computed again).",
                cachedPromptTokens.sum());
        family(out, "longlm_prompt_cache_requests_total", "counter", "Requests that reused a cached prefix (hit) or none (miss).");
        out.append("longlm_prompt_cache_requests_total{result=\"hit\"} ").append(cacheHits.sum()).append('\n');
        out.append("longlm_prompt_cache_requests_total{result=\"miss\"} ").append(cacheMisses.sum()).append('\n');
        sample(out, "longlm_prefill_tokens_total", "counter", "Prompt tokens computed by forward passes.", prefillTokens.sum());
        sample(out, "longlm_prefill_seconds_total", "counter", "Seconds spent in prompt forward passes.", prefillSeconds.sum());
        sample(out, "longlm_generated_tokens_total", "counter", "Tokens generated.", generatedTokens.sum());
        sample(out, "longlm_decode_seconds_total", "counter", "Seconds spent in batched decode steps.", decodeSeconds.sum());
        sample(out, "longlm_prefill_tokens_per_second", "gauge", "Prompt tokens computed per second of prefill, since start.",
                rate(prefillTokens.sum(), prefillSeconds.sum()));
        sample(out, "longlm_decode_tokens_per_second", "gauge", "Tokens generated per second of decode steps, since start.",
                rate(generatedTokens.sum(), decodeSeconds.sum()));
        family(out, "longlm_time_to_first_token_seconds", "summary", "From a request's arrival to its first generated token.");
        out.append("longlm_time_to_first_token_seconds_sum ").append(number(firstTokenSeconds.sum())).append('\n');
        out.append("longlm_time_to_first_token_seconds_count ").append(firstTokens.sum()).append('\n');
        sample(out, "longlm_requests_waiting", "gauge", "Requests queued for a slot.", waiting);
        sample(out, "longlm_slots_busy", "gauge", "Slots processing a request.", slotsBusy);
        sample(out, "longlm_slots_total", "gauge", "Slots (--parallel).", slotsTotal);
        return out.toString();
    }

    private static double rate(long tokens, double seconds) {
        return seconds > 0 ? tokens / seconds : 0;
    }

    private static void family(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, String type, String help, double value) {
        family(out, name, type, help);
        out.append(name).append(' ').append(number(value)).append('\n');
    }

    private static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? String.valueOf((long) value)
                : String.format(Locale.ROOT, "%.6g", value);
    }
}
