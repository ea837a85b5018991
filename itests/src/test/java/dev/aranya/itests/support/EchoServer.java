package dev.aranya.itests.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

/** A TCP echo server on a free loopback port: what a device's port-forward target is in the tests. */
public final class EchoServer implements AutoCloseable {
    private final ServerSocket server;

    private EchoServer(ServerSocket server) {
        this.server = server;
    }

    public static EchoServer start() throws IOException {
        EchoServer echo = new EchoServer(new ServerSocket(0));
        Thread accept = new Thread(echo::accept, "echo-server");
        accept.setDaemon(true);
        accept.start();
        return echo;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Sends the bytes to {@code port} and reads what comes back at the same time, until the peer closes. */
    public static byte[] roundTrip(int port, byte[] bytes) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(120_000);
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(bytes);
                    socket.shutdownOutput();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            byte[] echoed = socket.getInputStream().readAllBytes();
            sent.join();
            return echoed;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread connection = new Thread(() -> {
                    try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                        in.transferTo(out);
                    } catch (IOException ignored) {
                        // the client went away
                    }
                }, "echo-connection");
                connection.setDaemon(true);
                connection.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
