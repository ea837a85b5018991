package dev.aranya.itests.support;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.ops4j.pax.exam.Option;

/**
 * Pax Exam options that start the runtime's own bundle set ({@code runtime/target/aranya/bundle}), so the OSGi
 * tests run exactly what {@code bin/aranya} ships.
 */
public final class RuntimeBundles {
    private RuntimeBundles() {
    }

    public static Path runtimeDir() {
        return Path.of(System.getProperty("aranya.runtime.dir", "../runtime/target/aranya"));
    }

    public static Option all() {
        Path folder = runtimeDir().resolve("bundle");
        List<Path> jars;
        try (Stream<Path> files = Files.list(folder)) {
            jars = files.filter(file -> file.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("no runtime at " + folder + ": build it with 'mvn install' first", e);
        }
        Stream<Option> bundles = jars.stream()
                .map(jar -> fragment(jar) ? bundle(jar.toUri().toString()).noStart() : bundle(jar.toUri().toString()));
        return composite(Stream.concat(bundles, Stream.of(
                junitBundles(),
                // AssertJ, which the tests use inside the framework
                mavenBundle("org.assertj", "assertj-core", System.getProperty("assertj.version")),
                mavenBundle("net.bytebuddy", "byte-buddy", System.getProperty("bytebuddy.version")),
                // the Gogo shell must not read the test JVM's stdin (Surefire's channel): at its end it stops the framework
                frameworkProperty("gosh.args").value("--nointeractive"),
                // the probe's services appear once ~80 bundles have started: on a busy 2-core machine that takes
                // longer than Pax Exam's 10 s default
                systemTimeout(120_000),
                systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"))).toArray(Option[]::new));
    }

    /**
     * The agent's bundles that Aranya's runtime does not ship (from {@code runtime/target/arhat/bundle}: the agent,
     * pty4j, JNA, Kotlin), to run the agent's components beside {@link #all()}.
     */
    public static Option agentBundles() {
        Path agentFolder = runtimeDir().resolveSibling("arhat").resolve("bundle");
        Path aranyaFolder = runtimeDir().resolve("bundle");
        try (Stream<Path> files = Files.list(agentFolder)) {
            return composite(files.filter(file -> file.toString().endsWith(".jar"))
                    .filter(file -> !Files.exists(aranyaFolder.resolve(file.getFileName())))
                    .sorted().map(jar -> bundle(jar.toUri().toString())).toArray(Option[]::new));
        } catch (IOException e) {
            throw new UncheckedIOException("no agent distribution at " + agentFolder + ": build it with 'mvn install' first", e);
        }
    }

    private static boolean fragment(Path jar) {
        return !manifestValue(jar, "Fragment-Host").isEmpty();
    }

    private static String manifestValue(Path jar, String header) {
        try (JarFile file = new JarFile(jar.toFile())) {
            String value = file.getManifest().getMainAttributes().getValue(header);
            return value == null ? "" : value;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jar, e);
        }
    }
}
