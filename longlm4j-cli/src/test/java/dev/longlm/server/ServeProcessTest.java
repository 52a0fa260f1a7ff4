package dev.longlm.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `longlm serve` as its own process (the JDK server reads its limits once per JVM, and a signal
 * needs a process): issue 17, defect 11 — clients that stall mid-request are disconnected — and
 * defect 12 — SIGTERM ends a running stream with an error event and [DONE], and the exit status is 0.
 */
class ServeProcessTest {
    private static final String MODEL = "models/pd-llama-13m-ctx256-f16.gguf";
    private static final Pattern LISTENING = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/v1");

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void stalledClientsAreDisconnectedAndSigtermExitsCleanly() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process serve = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx1g",
                "-Dsun.net.httpserver.maxReqTime=2", "-cp", System.getProperty("java.class.path"),
                "dev.longlm.cli.Main", "serve", "--port", "0", "-t", "1", "--shutdown-grace", "0", "-m", MODEL)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader log = new BufferedReader(new InputStreamReader(serve.getErrorStream(), StandardCharsets.UTF_8));
            int port = -1;
            for (String line; port < 0 && (line = log.readLine()) != null; ) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            assertTrue(port > 0, "the server did not start");
            Thread drain = Thread.ofVirtual().start(() -> log.lines().forEach(l -> { }));

            // Ten clients send half a request (half the headers, or the headers and half the body) and
            // stall: the server closes them once the 2 s deadline passes.
            List<Socket> stalled = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Socket s = new Socket("127.0.0.1", port);
                String half = i % 2 == 0 ? "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty"
                        : "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"pro";
                s.getOutputStream().write(half.getBytes(StandardCharsets.US_ASCII));
                s.setSoTimeout(30_000);
                stalled.add(s);
            }
            for (Socket s : stalled) {
                try (s) {
                    int read;
                    try {
                        read = s.getInputStream().read();
                    } catch (SocketTimeoutException e) {
                        throw new AssertionError("a stalled client was still connected after 30 s", e);
                    } catch (IOException reset) {
                        read = -1; // closed by a reset: disconnected too
                    }
                    assertEquals(-1, read, "the server closed the stalled connection");
                }
            }

            // A stream in progress when SIGTERM arrives ends with an error event and [DONE].
            try (Socket client = new Socket("127.0.0.1", port)) {
                String body = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 1000, \"stream\": true}";
                OutputStream out = client.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                client.setSoTimeout(60_000);
                InputStream in = client.getInputStream();
                StringBuilder received = new StringBuilder();
                while (!received.toString().contains("data: {")) {
                    int b = in.read();
                    assertTrue(b >= 0, received.toString());
                    received.append((char) b);
                }
                serve.destroy(); // SIGTERM
                received.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                String text = received.toString();
                assertTrue(text.contains("\"code\":\"shutting_down\""), text);
                assertTrue(text.contains("data: [DONE]"), text);
            }
            assertTrue(serve.waitFor(60, TimeUnit.SECONDS), "the server did not exit");
            assertEquals(0, serve.exitValue(), "exit status after SIGTERM");
            drain.join(5_000);
        } finally {
            serve.destroyForcibly();
        }
    }
}
