package dev.aranya.itests.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/** Latency and throughput probes the benchmarks share: round trips through a socket or an exec, and their statistics. */
public final class RoundTrips {
    private RoundTrips() {
    }

    /** {@code count} round trips of 64 bytes through one connection to an echo at {@code port}; sorted, in µs. */
    public static long[] socketMicros(int port, int count) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] message = new byte[64];
            long[] micros = new long[count];
            for (int i = 0; i < count; i++) {
                long start = System.nanoTime();
                out.write(message);
                out.flush();
                if (in.readNBytes(message, 0, message.length) != message.length) {
                    throw new IOException("the echo closed the connection");
                }
                micros[i] = (System.nanoTime() - start) / 1000;
            }
            Arrays.sort(micros);
            return micros;
        }
    }

    /** {@code count} lines written to {@code kubectl exec -i POD -- cat} and read back; sorted, in µs. */
    public static long[] execLineMicros(Path kubectl, Path kubeconfig, String namespace, String pod, int count)
            throws IOException, InterruptedException {
        Process cat = new ProcessBuilder(kubectl.toString(), "--kubeconfig", kubeconfig.toString(), "-n", namespace,
                "exec", "-i", pod, "--", "cat").start();
        try {
            OutputStream out = cat.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(cat.getInputStream(), StandardCharsets.UTF_8));
            long[] micros = new long[count];
            for (int i = 0; i < count; i++) {
                long start = System.nanoTime();
                out.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                String line = in.readLine();
                if (!("line " + i).equals(line)) {
                    throw new IOException("exec cat answered " + line + " to line " + i + ": "
                            + new String(cat.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                }
                micros[i] = (System.nanoTime() - start) / 1000;
            }
            out.close();
            if (!cat.waitFor(30, TimeUnit.SECONDS) || cat.exitValue() != 0) {
                throw new IOException("kubectl exec cat did not end well");
            }
            Arrays.sort(micros);
            return micros;
        } finally {
            cat.destroy();
        }
    }

    /** The value at quantile {@code q} (0..1, nearest rank) of sorted values. */
    public static long quantile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public static long median(long[] sorted) {
        return sorted[sorted.length / 2];
    }

    public static double mebibytesPerSecond(long bytes, long startNanos) {
        return (bytes / 1048576.0) / ((System.nanoTime() - startNanos) / 1e9);
    }
}
