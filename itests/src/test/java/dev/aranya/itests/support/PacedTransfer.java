package dev.aranya.itests.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A slow, steady echo transfer through one connection (64 KiB every 50 ms) that runs until {@link #finish()}:
 * the connection must live through whatever happens meanwhile, and every byte must come back in order.
 */
public final class PacedTransfer implements AutoCloseable {
    private final Socket socket;
    private final CompletableFuture<String> sent;
    private final CompletableFuture<Long> received;
    private final MessageDigest receivedDigest;
    private final AtomicLong echoed = new AtomicLong();
    private volatile boolean sending = true;

    /** What went through: bytes echoed back, and the SHA-256 of what was sent and of what came back. */
    public record Outcome(long bytes, String sentSha256, String receivedSha256) {
    }

    private PacedTransfer(Socket socket) throws NoSuchAlgorithmException {
        this.socket = socket;
        this.receivedDigest = MessageDigest.getInstance("SHA-256");
        this.sent = CompletableFuture.supplyAsync(this::send);
        this.received = CompletableFuture.supplyAsync(this::receive);
    }

    /** Connects to the echo at {@code 127.0.0.1:port} (a port-forward's local port) and starts sending. */
    public static PacedTransfer start(int port) throws IOException, NoSuchAlgorithmException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(120_000);
        return new PacedTransfer(socket);
    }

    /** Bytes echoed back so far: a test compares two readings to see the transfer still moving. */
    public long echoedSoFar() {
        return echoed.get();
    }

    /** Fails when sending or receiving has already failed (the connection broke), with that failure's message. */
    public void assertRunning() {
        for (CompletableFuture<?> side : List.of(sent, received)) {
            if (side.isCompletedExceptionally()) {
                side.join(); // throws the failure
            }
        }
        if (received.isDone()) {
            throw new AssertionError("the echo connection was closed after " + echoed.get() + " bytes");
        }
    }

    private String send() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            OutputStream out = socket.getOutputStream();
            Random random = new Random(11);
            byte[] chunk = new byte[64 * 1024];
            while (sending) {
                random.nextBytes(chunk);
                out.write(chunk);
                digest.update(chunk);
                Thread.sleep(50);
            }
            socket.shutdownOutput();
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private long receive() {
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                receivedDigest.update(buffer, 0, n);
                echoed.addAndGet(n);
            }
            return echoed.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops sending, waits for the echo of everything sent. */
    public Outcome finish() throws Exception {
        sending = false;
        String sentSha256 = sent.get(60, TimeUnit.SECONDS);
        long bytes = received.get(60, TimeUnit.SECONDS);
        return new Outcome(bytes, sentSha256, HexFormat.of().formatHex(receivedDigest.digest()));
    }

    @Override
    public void close() throws IOException {
        sending = false;
        socket.close();
    }
}
