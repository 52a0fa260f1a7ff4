package dev.longlm.server;

import dev.longlm.attention.ContextMethod;

/**
 * How the server runs.
 *
 * @param parallel      requests decoded together (one KV cache each)
 * @param queueCapacity requests that may wait for a slot; beyond that the server answers 503
 * @param contextLimit  most positions (prompt + generated) one request may use
 * @param method        the context method from the command line, or null to choose per request
 *                      (plain attention, or SelfExtend.auto when a request outgrows the trained context)
 * @param apiKey        required as {@code Authorization: Bearer KEY}; null for none
 */
public record ServerOptions(String host, int port, int parallel, int queueCapacity, int contextLimit,
                            ContextMethod method, String apiKey, String modelId) {
}
