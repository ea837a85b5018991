package dev.aranya.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * Starts Aranya's Felix framework from a distribution folder ({@code aranya.home}): framework properties from
 * {@code conf/config.properties}, every bundle of {@code bundle/} installed and started (the boot bundles first), {@code etc/} and
 * {@code deploy/} handed to FileInstall. Stops the framework cleanly on SIGTERM or Ctrl-C.
 *
 * <p>Modes: {@code run} (default; no console), {@code console} (the Gogo shell on this terminal) and
 * {@code check} (boot, print every bundle's state, stop; exit status 0 only if all are active).
 */
public final class Launcher {
    private static final Logger LOG = Logger.getLogger("dev.aranya.runtime");
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    /** Framework property: symbolic names of the bundles that start first. */
    private static final String BOOT_BUNDLES = "aranya.boot.bundles";
    /** System property set by the bin script: the distribution's name in messages (one launcher starts Aranya and arhat). */
    private static final String PRODUCT = "aranya.product";
    private static final int BOOT_START_LEVEL = 10;
    private static final int BUNDLE_START_LEVEL = 80;

    private Launcher() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length == 0 ? "run" : args[0];
        Path home = Path.of(System.getProperty("aranya.home", ".")).toAbsolutePath().normalize();
        Map<String, String> config = frameworkConfig(home, mode);
        String product = System.getProperty(PRODUCT, "Aranya");
        if (!List.of("run", "console", "check").contains(mode)) {
            System.err.println("usage: " + product.toLowerCase(Locale.ROOT) + " [run|console|check]\n"
                    + "  run      start " + product + " (default)\n"
                    + "  console  start " + product + " with the Gogo shell on this terminal (try: lb, scr:list, help)\n"
                    + "  check    start, list every bundle's state, stop; exit 1 unless all are active");
            System.exit(2);
        }

        long started = System.nanoTime();
        Framework framework = new FrameworkFactory().newFramework(withLogger(config));
        framework.init();
        framework.getBundleContext().addFrameworkListener(Launcher::logFrameworkEvent);
        installBundles(framework, home.resolve("bundle"), Set.of(config.getOrDefault(BOOT_BUNDLES, "").split("\\s*,\\s*")));
        Thread stopper = new Thread(() -> stop(framework, product), "aranya-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);
        framework.start();

        if (mode.equals("check")) {
            boolean allActive = awaitActive(framework, Duration.ofSeconds(Long.getLong("aranya.check.timeout", 60)));
            printBundles(framework, System.out);
            printProblems(framework, System.out);
            System.out.printf("%s in %d ms%n", allActive ? "all bundles active" : "NOT all bundles active",
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
            Runtime.getRuntime().removeShutdownHook(stopper);
            stop(framework, product);
            System.exit(allActive ? 0 : 1);
        }
        LOG.info(() -> product + " started from " + home + " in "
                + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms");
        framework.waitForStop(0);
        System.exit(0);
    }

    /**
     * Installs every jar of the folder. The boot bundles (logging, configuration) get an earlier start level, so
     * that they run before anything else logs or asks for its configuration.
     */
    private static void installBundles(Framework framework, Path folder, Set<String> bootBundles) throws IOException {
        List<Path> jars;
        try (Stream<Path> files = Files.list(folder)) {
            jars = files.filter(file -> file.toString().endsWith(".jar")).sorted().toList();
        }
        BundleContext context = framework.getBundleContext();
        for (Path jar : jars) {
            try {
                Bundle bundle = context.installBundle(jar.toUri().toString());
                boolean boot = bootBundles.contains(bundle.getSymbolicName());
                bundle.adapt(BundleStartLevel.class).setStartLevel(boot ? BOOT_START_LEVEL : BUNDLE_START_LEVEL);
                if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    bundle.start();
                }
            } catch (BundleException e) {
                LOG.log(Level.SEVERE, "Cannot install " + jar + ": " + e.getMessage(), e);
            }
        }
    }

    static Map<String, String> frameworkConfig(Path home, String mode) throws IOException {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(home.resolve("conf/config.properties"))) {
            properties.load(in);
        }
        Map<String, String> config = new HashMap<>();
        for (String key : properties.stringPropertyNames()) {
            config.put(key, properties.getProperty(key).replace("${aranya.home}", home.toString()));
        }
        // A system property overrides the file, so tests and operators can change one setting.
        for (String key : properties.stringPropertyNames()) {
            String override = System.getProperty(key);
            if (override != null) {
                config.put(key, override);
            }
        }
        if (!mode.equals("console")) {
            // keep the Gogo shell off stdin; its commands stay available to the console mode and remote shells
            config.put("gosh.args", "--nointeractive");
        }
        return config;
    }

    private static Map<String, Object> withLogger(Map<String, String> config) {
        Map<String, Object> withLogger = new HashMap<>(config);
        withLogger.put("felix.log.logger", new FrameworkLogger());
        return withLogger;
    }

    private static boolean awaitActive(Framework framework, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Arrays.stream(framework.getBundleContext().getBundles()).allMatch(Launcher::isUp)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** Fragments are never ACTIVE; RESOLVED is their good state. */
    private static boolean isUp(Bundle bundle) {
        boolean fragment = bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
        return bundle.getState() == Bundle.ACTIVE || (fragment && bundle.getState() == Bundle.RESOLVED);
    }

    static void printBundles(Framework framework, PrintStream out) {
        out.printf("%4s  %-9s  %-60s %s%n", "ID", "State", "Symbolic name", "Version");
        Arrays.stream(framework.getBundleContext().getBundles())
                .sorted(Comparator.comparingLong(Bundle::getBundleId))
                .forEach(bundle -> out.printf("%4d  %-9s  %-60s %s%n", bundle.getBundleId(), state(bundle),
                        bundle.getSymbolicName(), bundle.getVersion()));
    }

    /** Why each bundle that is not up did not start, in the framework's words (e.g. a missing requirement). */
    static void printProblems(Framework framework, PrintStream out) {
        for (Bundle bundle : framework.getBundleContext().getBundles()) {
            if (!isUp(bundle) && bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                try {
                    bundle.start();
                } catch (BundleException e) {
                    out.printf("%s: %s%n", bundle.getSymbolicName(), e.getMessage());
                }
            }
        }
    }

    private static String state(Bundle bundle) {
        return switch (bundle.getState()) {
            case Bundle.ACTIVE -> "Active";
            case Bundle.RESOLVED -> "Resolved";
            case Bundle.INSTALLED -> "Installed";
            case Bundle.STARTING -> "Starting";
            case Bundle.STOPPING -> "Stopping";
            default -> "Unknown";
        };
    }

    private static void stop(Framework framework, String product) {
        if ((framework.getState() & (Bundle.ACTIVE | Bundle.STARTING)) == 0) {
            return; // stopped already, e.g. by the console's exit
        }
        try {
            LOG.info("Stopping " + product);
            long stopping = System.nanoTime();
            framework.stop();
            FrameworkEvent event = framework.waitForStop(STOP_TIMEOUT.toMillis());
            if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                LOG.warning("The framework did not stop within " + STOP_TIMEOUT.toSeconds() + " s");
            } else {
                // the log bundle has stopped by now: this line goes to the console
                System.err.printf("%s stopped in %d ms%n", product, Duration.ofNanos(System.nanoTime() - stopping).toMillis());
            }
        } catch (BundleException | InterruptedException e) {
            LOG.log(Level.WARNING, "Stopping the framework failed", e);
        }
    }

    private static void logFrameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.ERROR) {
            LOG.log(Level.SEVERE, "Bundle " + event.getBundle().getSymbolicName() + ": " + messageOf(event.getThrowable()),
                    event.getThrowable());
        } else if (event.getType() == FrameworkEvent.WARNING) {
            LOG.log(Level.WARNING, "Bundle " + event.getBundle().getSymbolicName() + ": " + messageOf(event.getThrowable()));
        }
    }

    private static String messageOf(Throwable throwable) {
        return throwable == null ? "" : throwable.getMessage();
    }
}
