package dev.longlm.server;

import dev.longlm.attention.ContextMethod;

import java.util.List;

/**
 * How the server runs.
 *
 * @param parallel      requests decoded together (one KV cache each)
 * @param queueCapacity requests that may wait for a slot; beyond that the server answers 503
 * @param contextLimit  most positions (prompt + generated) one request may use
 * @param method        the context method from the command line, or null to choose per request
 *                      (plain attention, or SelfExtend.auto when a request outgrows the trained context)
 * @param apiKey        required as {@code Authorization: Bearer KEY}; null for none
 * @param allowedHosts  {@code Host} header names accepted besides the bind address (and, on loopback,
 *                      localhost): the defence against DNS rebinding
 * @param corsOrigins   browser origins allowed to call the API (CORS); empty: none
 */
public record ServerOptions(String host, int port, int parallel, int queueCapacity, int contextLimit,
                            ContextMethod method, String apiKey, String modelId, List<String> allowedHosts,
                            List<String> corsOrigins) {
    public ServerOptions {
        allowedHosts = List.copyOf(allowedHosts);
        corsOrigins = List.copyOf(corsOrigins);
    }

    /** Options without extra hosts or browser origins. */
    public ServerOptions(String host, int port, int parallel, int queueCapacity, int contextLimit,
                         ContextMethod method, String apiKey, String modelId) {
        this(host, port, parallel, queueCapacity, contextLimit, method, apiKey, modelId, List.of(), List.of());
    }
}
