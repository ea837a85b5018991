package dev.aranya.itests.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Mosquitto on a free loopback port with anonymous access: the broker that Aranya and the agents of the
 * end-to-end tests meet at. Stopped by its own process handle.
 */
public final class MosquittoBroker implements AutoCloseable {
    private final Process process;
    private final int port;

    private MosquittoBroker(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts the broker with its configuration and output in {@code dir}; returns once it accepts connections. */
    public static MosquittoBroker start(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Path conf = dir.resolve("mosquitto.conf");
        Path out = dir.resolve("mosquitto.out");
        Files.writeString(conf, "listener " + port + " 127.0.0.1\n"
                + "allow_anonymous true\n"
                + "persistence false\n"
                + "log_dest stdout\n"
                // as docs/transports.md advises: Nagle on the broker's sockets delays each forwarded frame ~40 ms
                + "set_tcp_nodelay true\n"
                // as root, mosquitto would switch to its own user, who cannot read the test's files
                + "user " + System.getProperty("user.name") + "\n");
        Process process = new ProcessBuilder("mosquitto", "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new MosquittoBroker(process, port);
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IOException("mosquitto did not start: " + Files.readString(out));
                }
                Thread.sleep(50);
            }
        }
    }

    /** {@code host:port}, as {@code spec.connectivity.mqtt.broker} and the agent's {@code link.broker} take it. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
