package dev.aranya.driver.process.internal;

import dev.aranya.api.driver.Peripheral;
import dev.aranya.api.driver.PeripheralConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A peripheral driven by programs. Params (docs/drivers.md, "process"):
 * <ul>
 *   <li>{@code connector.target}: the programs' working directory (empty: the agent's);
 *       {@code connector.params} {@code env.<NAME>}: environment variables added for every program;</li>
 *   <li>an operation's {@code command}: the program and its fixed arguments (split at spaces, no shell); the
 *       user's arguments follow them; {@code timeoutSeconds} (default 60);</li>
 *   <li>a metric's {@code command} or {@code file}: where the value is read, and an optional {@code pattern} (a
 *       regular expression whose first group is the number; default: the whole trimmed output).</li>
 * </ul>
 * The program's exit code is the operation's; its stdout and stderr go to kubectl.
 */
final class ProcessPeripheral implements Peripheral {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessPeripheral.class);
    private static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration METRIC_TIMEOUT = Duration.ofSeconds(10);
    /** A metric's source is read up to this many bytes: a value, not a log. */
    private static final int METRIC_READ_LIMIT = 64 << 10;
    private static final String ENV_PREFIX = "env.";
    /** Exit code of an operation stopped at its timeout, as timeout(1) has it. */
    static final int TIMEOUT_EXIT_CODE = 124;

    private record MetricSource(String name, List<String> command, Path file, Pattern pattern) {
    }

    private final PeripheralConfig config;
    private final Path workingDirectory;
    private final Map<String, String> environment;
    private final List<MetricSource> metrics = new ArrayList<>();

    /** @throws IllegalArgumentException naming the param that is missing or malformed */
    ProcessPeripheral(PeripheralConfig config) {
        this.config = config;
        this.workingDirectory = config.target().isBlank() ? null : Path.of(config.target());
        if (workingDirectory != null && !Files.isDirectory(workingDirectory)) {
            throw new IllegalArgumentException("connector.target " + workingDirectory + " (the working directory) is not a directory");
        }
        Map<String, String> env = new java.util.TreeMap<>();
        config.params().forEach((key, value) -> {
            if (key.startsWith(ENV_PREFIX) && key.length() > ENV_PREFIX.length()) {
                env.put(key.substring(ENV_PREFIX.length()), value);
            }
        });
        this.environment = Map.copyOf(env);
        for (PeripheralConfig.Operation operation : config.operations()) {
            command(operation.params(), "operations[" + operation.name() + "]");
            timeout(operation);
        }
        for (PeripheralConfig.Metric metric : config.metrics()) {
            metrics.add(source(metric));
        }
    }

    private static List<String> command(Map<String, String> params, String where) {
        String command = params.getOrDefault("command", "").trim();
        if (command.isEmpty()) {
            throw new IllegalArgumentException(where + ".params.command is missing: the program to run");
        }
        return Arrays.asList(command.split("\\s+"));
    }

    private static Duration timeout(PeripheralConfig.Operation operation) {
        String value = operation.params().get("timeoutSeconds");
        if (value == null) {
            return DEFAULT_OPERATION_TIMEOUT;
        }
        try {
            long seconds = Long.parseLong(value.trim());
            if (seconds > 0) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("operations[" + operation.name() + "].params.timeoutSeconds must be a positive "
                + "number of seconds, was '" + value + "'");
    }

    private static MetricSource source(PeripheralConfig.Metric metric) {
        String where = "metrics[" + metric.name() + "].params";
        boolean hasCommand = metric.params().containsKey("command");
        boolean hasFile = metric.params().containsKey("file");
        if (hasCommand == hasFile) {
            throw new IllegalArgumentException(where + " must have either 'command' or 'file' (where the value is read)");
        }
        Pattern pattern = null;
        String regex = metric.params().get("pattern");
        if (regex != null) {
            try {
                pattern = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(where + ".pattern is not a regular expression: " + e.getDescription());
            }
            if (pattern.matcher("").groupCount() < 1) {
                throw new IllegalArgumentException(where + ".pattern needs a group around the number, e.g. 'temp=([0-9.]+)'");
            }
        }
        return new MetricSource(metric.name(), hasCommand ? command(metric.params(), "metrics[" + metric.name() + "]") : null,
                hasFile ? Path.of(metric.params().get("file")) : null, pattern);
    }

    @Override
    public int execute(PeripheralConfig.Operation operation, List<String> args, InputStream stdin, OutputStream stdout,
                       OutputStream stderr) throws IOException {
        List<String> argv = new ArrayList<>(command(operation.params(), "operations[" + operation.name() + "]"));
        argv.addAll(args);
        Process process = start(argv);
        process.getOutputStream().close();
        // the copies run beside the wait, so a cancel (an interrupt) or the timeout stops the program at once
        Thread output = copier(process.getInputStream(), stdout, "stdout");
        Thread errors = copier(process.getErrorStream(), stderr, "stderr");
        Duration timeout = timeout(operation);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                destroy(process);
                output.join();
                errors.join();
                stderr.write(("operation '" + operation.name() + "' did not end within " + timeout.toSeconds() + " s: stopped\n")
                        .getBytes(StandardCharsets.UTF_8));
                return TIMEOUT_EXIT_CODE;
            }
            output.join();
            errors.join();
            return process.exitValue();
        } catch (InterruptedException e) {
            destroy(process);
            output.interrupt();
            errors.interrupt();
            throw new InterruptedIOException("operation '" + operation.name() + "' was cancelled");
        }
    }

    private static Thread copier(InputStream from, OutputStream to, String name) {
        Thread copier = new Thread(() -> {
            try (from) {
                from.transferTo(to);
            } catch (IOException e) {
                LOG.debug("{} copy ended: {}", name, e.toString());
            }
        }, "process-driver-" + name);
        copier.start();
        return copier;
    }

    private Process start(List<String> argv) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(argv);
        if (workingDirectory != null) {
            builder.directory(workingDirectory.toFile());
        }
        builder.environment().putAll(environment);
        try {
            return builder.start();
        } catch (IOException e) {
            throw new IOException("cannot run " + argv.get(0) + ": " + e.getMessage(), e);
        }
    }

    private static void destroy(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    @Override
    public List<Sample> collect() throws IOException {
        List<Sample> samples = new ArrayList<>();
        for (MetricSource metric : metrics) {
            try {
                samples.add(new Sample(metric.name(), parse(metric, read(metric)), Map.of()));
            } catch (IOException | IllegalArgumentException e) {
                // one unreadable metric does not hide the others
                LOG.warn("Peripheral '{}' of {}: metric '{}' not read: {}", config.name(), config.device(), metric.name(), e.getMessage());
            }
        }
        return samples;
    }

    private String read(MetricSource metric) throws IOException {
        if (metric.file() != null) {
            try (InputStream in = Files.newInputStream(metric.file())) {
                return new String(in.readNBytes(METRIC_READ_LIMIT), StandardCharsets.UTF_8);
            }
        }
        Process process = start(metric.command());
        process.getOutputStream().close();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (InputStream in = process.getInputStream()) {
            output.write(in.readNBytes(METRIC_READ_LIMIT));
            if (!process.waitFor(METRIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(metric.command().get(0) + " did not end within " + METRIC_TIMEOUT.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(metric.command().get(0) + " exited with " + process.exitValue());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } finally {
            destroy(process);
        }
        return output.toString(StandardCharsets.UTF_8);
    }

    static double parse(String metricName, Pattern pattern, String text) {
        String value = text.trim();
        if (pattern != null) {
            Matcher matcher = pattern.matcher(text);
            if (!matcher.find()) {
                throw new IllegalArgumentException("pattern " + pattern.pattern() + " does not match the output");
            }
            value = matcher.group(1).trim();
        }
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + abbreviate(value) + "' is not a number (metric " + metricName + ")");
        }
    }

    private static double parse(MetricSource metric, String text) {
        return parse(metric.name(), metric.pattern(), text);
    }

    private static String abbreviate(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }

    @Override
    public void close() {
        // nothing is held open between operations
    }
}
