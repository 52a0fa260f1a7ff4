package dev.longlm.server;

import com.sun.net.httpserver.Headers;
import dev.longlm.Printable;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Keeps web pages from using a local server: a page on another site can make the browser send
 * requests to 127.0.0.1 (cross-site POSTs, or DNS rebinding, where the attacker's own name is made
 * to resolve to 127.0.0.1). Requests must name this server in {@code Host}, and carry an
 * {@code Origin} only if it is one of the configured {@code --cors-origin}s.
 */
final class BrowserGuard {
    private final List<String> hosts;
    private final boolean anyHost;
    private final List<String> origins;

    BrowserGuard(ServerOptions options) {
        this.origins = options.corsOrigins().stream().map(o -> o.toLowerCase(Locale.ROOT).replaceAll("/+$", "")).toList();
        String bind = options.host().toLowerCase(Locale.ROOT);
        java.util.ArrayList<String> names = new java.util.ArrayList<>(options.allowedHosts().stream()
                .map(h -> h.toLowerCase(Locale.ROOT)).toList());
        names.add(bind);
        boolean wildcard = false;
        try {
            InetAddress address = InetAddress.getByName(options.host());
            wildcard = address.isAnyLocalAddress();
            if (address.isLoopbackAddress()) {
                names.addAll(List.of("localhost", "127.0.0.1", "[::1]", "::1"));
            }
        } catch (UnknownHostException e) {
            // the server refuses to start on an unresolvable host anyway
        }
        // Bound to every interface, the server cannot know its names: only a configured list restricts them.
        this.anyHost = wildcard && options.allowedHosts().isEmpty();
        this.hosts = List.copyOf(names);
    }

    /** Throws a 403 (or 400) for a request a browser page may have forged. */
    void check(Headers headers) {
        String host = headers.getFirst("Host");
        if (host == null || host.isBlank()) {
            throw ApiException.badRequest("missing_host", "the request has no Host header");
        }
        if (!anyHost && !hosts.contains(hostName(host))) {
            throw new ApiException(403, "invalid_request_error", "host_not_allowed", "Host " + Printable.quoted(host)
                    + " is not this server (a DNS-rebinding defence); call it by its address, or start it with --allowed-host NAME");
        }
        String origin = headers.getFirst("Origin");
        if (origin != null && !allowedOrigin(origin)) {
            throw new ApiException(403, "invalid_request_error", "origin_not_allowed", "requests from the web page at "
                    + Printable.quoted(origin) + " are not allowed; start the server with --cors-origin " + Printable.escaped(origin, 80)
                    + " to allow them");
        }
    }

    boolean allowedOrigin(String origin) {
        return origins.contains(origin.toLowerCase(Locale.ROOT).replaceAll("/+$", ""));
    }

    /** The name part of a Host header: {@code [::1]:8080} → {@code [::1]}, {@code Localhost:80} → {@code localhost}. */
    static String hostName(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.lastIndexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }
}
