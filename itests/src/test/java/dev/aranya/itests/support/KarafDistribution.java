package dev.aranya.itests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A real Apache Karaf distribution (the tar.gz from Maven Central), unpacked and started as its own process, driven
 * through {@code bin/client} over SSH the way an operator drives it.
 */
public final class KarafDistribution implements AutoCloseable {
    /** The Karaf version the features are verified against (features/pom.xml). */
    public static final String VERSION = System.getProperty("karaf.version", "4.4.10");

    private final Path home;
    private final int sshPort;
    private final String user = "aranya-it";
    private final String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
    private Process process;

    private KarafDistribution(Path home, int sshPort) {
        this.home = home;
        this.sshPort = sshPort;
    }

    /** Unpacks Karaf under {@code parent} and configures free ports and a test user; not started yet. */
    public static KarafDistribution unpack(Path parent) throws IOException, InterruptedException {
        Path archive = Path.of(System.getProperty("maven.repo.local"), "org/apache/karaf/apache-karaf", VERSION,
                "apache-karaf-" + VERSION + ".tar.gz");
        if (!Files.isRegularFile(archive)) {
            throw new IllegalStateException(archive + " is missing: itests/pom.xml declares it as a test dependency");
        }
        Process tar = new ProcessBuilder("tar", "xzf", archive.toString(), "-C", parent.toString()).inheritIO().start();
        if (!tar.waitFor(120, TimeUnit.SECONDS) || tar.exitValue() != 0) {
            throw new IOException("could not unpack " + archive);
        }
        KarafDistribution karaf = new KarafDistribution(parent.resolve("apache-karaf-" + VERSION), freePort());
        karaf.configure();
        return karaf;
    }

    private void configure() throws IOException {
        replace("etc/org.apache.karaf.shell.cfg", "sshPort = 8101", "sshPort = " + sshPort);
        replace("etc/org.apache.karaf.shell.cfg", "sshHost = 0.0.0.0", "sshHost = 127.0.0.1");
        replace("etc/org.apache.karaf.management.cfg", "rmiRegistryPort = 1099", "rmiRegistryPort = " + freePort());
        replace("etc/org.apache.karaf.management.cfg", "rmiServerPort = 44444", "rmiServerPort = " + freePort());
        Files.writeString(home.resolve("etc/users.properties"), user + " = " + password + ",_g_:admingroup\n"
                + "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n");
    }

    /** Writes a ConfigAdmin configuration into Karaf's {@code etc/} (Karaf watches it like Aranya's runtime). */
    public void configuration(String pid, Map<String, String> properties) throws IOException {
        StringBuilder text = new StringBuilder();
        properties.forEach((key, value) -> text.append(key).append(" = ").append(value.replace("\\", "\\\\")).append('\n'));
        Files.writeString(home.resolve("etc/" + pid + ".cfg"), text);
    }

    public Path home() {
        return home;
    }

    /** Starts {@code bin/karaf server} and waits until its shell answers. */
    public void start() throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server")
                .redirectErrorStream(true).redirectOutput(home.resolve("karaf-console.out").toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        process = builder.start();
        execute(60, "bundle:list -s");
    }

    /** Runs shell commands through {@code bin/client} and returns their output; fails on a non-zero exit. */
    public String execute(String... commands) throws IOException, InterruptedException {
        return execute(3, commands);
    }

    private String execute(int connectAttempts, String... commands) throws IOException, InterruptedException {
        Path script = Files.createTempFile(home, "commands", ".txt");
        Files.writeString(script, String.join("\n", commands) + "\n");
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/client").toString(), "-a", String.valueOf(sshPort),
                "-h", "127.0.0.1", "-u", user, "-p", password, "-r", String.valueOf(connectAttempts), "-d", "2",
                "-f", script.toString()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process client = builder.start();
        String output = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!client.waitFor(300, TimeUnit.SECONDS) || client.exitValue() != 0) {
            throw new IllegalStateException("Karaf commands " + List.of(commands) + " failed:\n" + output
                    + "\n--- karaf.log tail ---\n" + logTail());
        }
        return output;
    }

    /**
     * Runs a command until its output satisfies the condition (Karaf does much in the background), and returns the
     * last output; the caller asserts on it.
     */
    public String awaitOutput(String command, Predicate<String> condition, int seconds)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String output = execute(command);
        while (!condition.test(output) && System.nanoTime() < deadline) {
            Thread.sleep(2000);
            output = execute(command);
        }
        return output;
    }

    /** Karaf's whole log. */
    public String log() throws IOException {
        Path log = home.resolve("data/log/karaf.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** The last lines of Karaf's log, for failure messages. */
    public String logTail() throws IOException {
        Path log = home.resolve("data/log/karaf.log");
        if (!Files.exists(log)) {
            return "(no data/log/karaf.log)";
        }
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    /** Stops Karaf: its JVM is a child of the bin/karaf script, which does not pass the signal on. */
    @Override
    public void close() throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> processes = new ArrayList<>(process.descendants().toList());
        processes.add(process.toHandle());
        processes.forEach(ProcessHandle::destroy);
        for (ProcessHandle handle : processes) {
            try {
                handle.onExit().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                handle.destroyForcibly();
            }
        }
    }

    private void replace(String file, String from, String to) throws IOException {
        Path path = home.resolve(file);
        String text = Files.readString(path);
        if (!text.contains(from)) {
            throw new IllegalStateException(file + " of Karaf " + VERSION + " has no '" + from + "'");
        }
        Files.writeString(path, text.replace(from, to));
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
