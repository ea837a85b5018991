package dev.aranya.transport.mqtt.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A real Mosquitto broker on a free loopback port, started from a generated configuration and stopped by PID. */
final class Mosquitto implements AutoCloseable {
    private final Process process;
    private final int port;

    /**
     * @param maxPacketSize the broker's {@code max_packet_size}, or 0 for none
     * @param user          a user name to require (with {@code password}), or null for anonymous access
     */
    Mosquitto(Path dir, int maxPacketSize, String user, String password) throws IOException, InterruptedException {
        this(dir, maxPacketSize, user, password, null);
    }

    /** @param tls the broker's TLS files (clients must present a certificate of the same CA), or null for plain TCP */
    Mosquitto(Path dir, int maxPacketSize, String user, String password, TestCertificates tls)
            throws IOException, InterruptedException {
        port = freePort();
        StringBuilder conf = new StringBuilder()
                .append("listener ").append(port).append(" 127.0.0.1\n")
                .append("persistence false\n")
                .append("log_dest stdout\n")
                // as root, mosquitto would switch to its own user, who cannot read the test's files
                .append("user ").append(System.getProperty("user.name")).append('\n')
                .append("log_type all\n");
        if (tls != null) {
            conf.append("cafile ").append(tls.ca()).append("\ncertfile ").append(tls.serverCertificate())
                    .append("\nkeyfile ").append(tls.serverKey()).append("\nrequire_certificate true\n");
        }
        if (maxPacketSize > 0) {
            conf.append("max_packet_size ").append(maxPacketSize).append('\n');
        }
        if (user != null) {
            Path passwords = dir.resolve("passwords");
            Process passwd = new ProcessBuilder("mosquitto_passwd", "-b", "-c", passwords.toString(), user, password)
                    .redirectErrorStream(true).start();
            if (passwd.waitFor() != 0) {
                throw new IOException("mosquitto_passwd failed: " + new String(passwd.getInputStream().readAllBytes()));
            }
            conf.append("allow_anonymous false\npassword_file ").append(passwords).append('\n');
        } else {
            conf.append("allow_anonymous true\n");
        }
        Path confFile = dir.resolve("mosquitto.conf");
        Files.writeString(confFile, conf);
        process = new ProcessBuilder("mosquitto", "-c", confFile.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("mosquitto.out").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("mosquitto did not start: " + Files.readString(dir.resolve("mosquitto.out")));
                }
                Thread.sleep(50);
            }
        }
    }

    String broker() {
        return "127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
