package dev.aranya.itests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One of the built distributions (Aranya's {@code runtime/target/aranya}, the agent's {@code runtime/target/arhat})
 * copied to its own folder and run as an operator runs it: {@code bin/<name> run}, configured through
 * {@code etc/*.cfg}, stopped with SIGTERM or killed with SIGKILL.
 */
public final class DistributionProcess implements AutoCloseable {
    private final String name;
    private final Path home;
    private Process process;

    private DistributionProcess(String name, Path home) {
        this.name = name;
        this.home = home;
    }

    /** Copies {@code runtime/target/<name>} into {@code parent/<name>-<suffix>}. */
    public static DistributionProcess copy(String name, Path parent, String suffix) throws IOException {
        Path source = RuntimeBundles.runtimeDir().resolveSibling(name);
        if (!Files.isExecutable(source.resolve("bin/" + name))) {
            throw new IllegalStateException(source + " is not built: mvn -pl runtime install");
        }
        Path home = parent.resolve(name + "-" + suffix);
        copyTree(source, home);
        return new DistributionProcess(name, home);
    }

    public Path home() {
        return home;
    }

    /** Writes {@code etc/<pid>.cfg}, replacing the distribution's own file of that name. */
    public DistributionProcess configure(String pid, Map<String, ?> properties) throws IOException {
        StringBuilder text = new StringBuilder();
        properties.forEach((key, value) -> text.append(key).append(" = ")
                .append(String.valueOf(value).replace("\\", "\\\\")).append('\n'));
        Files.writeString(home.resolve("etc/" + pid + ".cfg"), text);
        return this;
    }

    /** Starts {@code bin/<name> run}, its console going to {@link #output()}. */
    public DistributionProcess start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        process = new ProcessBuilder(home.resolve("bin/" + name).toString(), "run")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("console.out").toFile()))
                .start();
        return this;
    }

    /** The JVM's process id ({@code bin/<name>} execs java), for {@code jcmd}. */
    public long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return process.pid();
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** Everything the process printed so far, over all its starts. */
    public String output() {
        try {
            Path out = home.resolve("console.out");
            return Files.exists(out) ? Files.readString(out) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the output satisfies the condition; fails with the output's tail otherwise. */
    public void awaitOutput(String description, Predicate<String> condition, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (condition.test(output())) {
                return;
            }
            if (!alive()) {
                break;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(name + ": no " + description + " within " + seconds + " s (alive: " + alive()
                + "); output tail:\n" + tail(output(), 80));
    }

    /** SIGTERM, and waits for the process to end. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** SIGKILL: the process gets no chance to say goodbye, as when a host loses power. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    public static String tail(String text, int lines) {
        String[] all = text.split("\n", -1);
        int from = Math.max(0, all.length - lines);
        return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
    }

    private static void copyTree(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(target.resolve(source.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path to = target.resolve(source.relativize(file).toString());
                if (!file.getFileName().toString().endsWith(".log")) {
                    Files.copy(file, to, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
