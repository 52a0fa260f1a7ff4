package dev.longlm.server;

import dev.longlm.attention.ContextMethod;

import java.nio.file.Path;
import java.util.List;

/**
 * How the server runs.
 *
 * @param parallel       requests decoded together (one KV cache each)
 * @param queueCapacity  requests that may wait for a slot; beyond that the server answers 503
 * @param contextLimit   most positions (prompt + generated) one request may use
 * @param method         the context method from the command line, or null to choose per request
 *                       (plain attention, or SelfExtend.auto when a request outgrows the trained context)
 * @param apiKey         required as {@code Authorization: Bearer KEY}; null for none
 * @param allowedHosts   {@code Host} header names accepted besides the bind address (and, on loopback,
 *                       localhost): the defence against DNS rebinding
 * @param corsOrigins    browser origins allowed to call the API (CORS); empty: none
 * @param cachePrompt    slots keep what they computed and a request reuses the longest prefix it shares
 *                       with a free slot (a request may opt out with {@code cache_prompt: false})
 * @param slotSavePath   folder of {@code /slots/{id}?action=save|restore} files; null: the actions are off
 * @param timeoutSeconds a request still running this long after it arrived is ended with an error; 0: never
 */
public record ServerOptions(String host, int port, int parallel, int queueCapacity, int contextLimit,
                            ContextMethod method, String apiKey, String modelId, List<String> allowedHosts,
                            List<String> corsOrigins, boolean cachePrompt, Path slotSavePath, int timeoutSeconds) {
    /** llama.cpp's server default (-to). */
    public static final int DEFAULT_TIMEOUT_SECONDS = 600;

    public ServerOptions {
        allowedHosts = List.copyOf(allowedHosts);
        corsOrigins = List.copyOf(corsOrigins);
    }

    /** Options with prompt caching, no slot files and the default timeout. */
    public ServerOptions(String host, int port, int parallel, int queueCapacity, int contextLimit, ContextMethod method,
                         String apiKey, String modelId, List<String> allowedHosts, List<String> corsOrigins) {
        this(host, port, parallel, queueCapacity, contextLimit, method, apiKey, modelId, allowedHosts, corsOrigins, true, null,
                DEFAULT_TIMEOUT_SECONDS);
    }

    /** Options without extra hosts or browser origins. */
    public ServerOptions(String host, int port, int parallel, int queueCapacity, int contextLimit,
                         ContextMethod method, String apiKey, String modelId) {
        this(host, port, parallel, queueCapacity, contextLimit, method, apiKey, modelId, List.of(), List.of());
    }

    public ServerOptions withCaching(boolean cachePrompt, Path slotSavePath) {
        return new ServerOptions(host, port, parallel, queueCapacity, contextLimit, method, apiKey, modelId, allowedHosts,
                corsOrigins, cachePrompt, slotSavePath, timeoutSeconds);
    }

    public ServerOptions withTimeout(int seconds) {
        return new ServerOptions(host, port, parallel, queueCapacity, contextLimit, method, apiKey, modelId, allowedHosts,
                corsOrigins, cachePrompt, slotSavePath, seconds);
    }
}
