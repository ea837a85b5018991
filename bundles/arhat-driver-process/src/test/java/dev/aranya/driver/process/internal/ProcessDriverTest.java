package dev.aranya.driver.process.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.driver.Peripheral;
import dev.aranya.api.driver.PeripheralConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessDriverTest {
    private final ProcessDriver driver = new ProcessDriver();

    private static PeripheralConfig config(String target, Map<String, String> params, List<PeripheralConfig.Operation> operations,
                                           List<PeripheralConfig.Metric> metrics) {
        return new PeripheralConfig("dev", "sensor", "process", target, params, operations, metrics);
    }

    @Test
    void anOperationRunsItsCommandWithTheUsersArgumentsInTheConnectorsDirectoryAndEnvironment(@TempDir Path dir) throws IOException {
        PeripheralConfig.Operation script = new PeripheralConfig.Operation("where",
                Map.of("command", "sh " + Files.writeString(dir.resolve("where.sh"), "pwd; echo $BUS $1 >&2; exit 5")));
        Peripheral sensor = driver.open(config(dir.toString(), Map.of("env.BUS", "i2c-1"), List.of(script), List.of()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int code = sensor.execute(script, List.of("now"), InputStream.nullInputStream(), out, err);

        assertThat(code).isEqualTo(5);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(dir.toRealPath() + "\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("i2c-1 now\n");
    }

    @Test
    void aCancelledOperationStopsItsProgram() throws Exception {
        PeripheralConfig.Operation slow = new PeripheralConfig.Operation("slow", Map.of("command", "sleep 30"));
        Peripheral sensor = driver.open(config("", Map.of(), List.of(slow), List.of()));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread running = new Thread(() -> {
            try {
                sensor.execute(slow, List.of(), InputStream.nullInputStream(), new ByteArrayOutputStream(), new ByteArrayOutputStream());
            } catch (IOException e) {
                failure.set(e);
            }
        });
        long started = System.nanoTime();
        running.start();
        Thread.sleep(500);
        running.interrupt();
        running.join(10_000);

        assertThat(failure.get()).isInstanceOf(InterruptedIOException.class).hasMessage("operation 'slow' was cancelled");
        assertThat(System.nanoTime() - started).isLessThan(10_000_000_000L);
    }

    @Test
    void metricsComeFromAFileOrACommandThroughThePattern(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("t"), "t=21500\n");
        Peripheral sensor = driver.open(config("", Map.of(), List.of(), List.of(
                new PeripheralConfig.Metric("temperature_millicelsius", Map.of("file", file.toString(), "pattern", "t=([0-9]+)")),
                new PeripheralConfig.Metric("answer", Map.of("command", "echo 42")),
                new PeripheralConfig.Metric("broken", Map.of("command", "echo not-a-number")))));

        assertThat(sensor.collect()).containsExactly(new Peripheral.Sample("temperature_millicelsius", 21500, Map.of()),
                new Peripheral.Sample("answer", 42, Map.of()));
    }

    @Test
    void malformedParamsAreRefusedNamingTheParam() {
        assertThatThrownBy(() -> driver.open(config("", Map.of(), List.of(new PeripheralConfig.Operation("read", Map.of())), List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("operations[read].params.command is missing: the program to run");
        assertThatThrownBy(() -> driver.open(config("", Map.of(), List.of(), List.of(
                new PeripheralConfig.Metric("m", Map.of("file", "/x", "command", "echo 1"))))))
                .hasMessage("metrics[m].params must have either 'command' or 'file' (where the value is read)");
        assertThatThrownBy(() -> driver.open(config("", Map.of(), List.of(), List.of(
                new PeripheralConfig.Metric("m", Map.of("file", "/x", "pattern", "[0-9]+"))))))
                .hasMessage("metrics[m].params.pattern needs a group around the number, e.g. 'temp=([0-9.]+)'");
        assertThatThrownBy(() -> driver.open(config("/no/such/dir", Map.of(), List.of(), List.of())))
                .hasMessageContaining("is not a directory");
        assertThatThrownBy(() -> driver.open(config("", Map.of(), List.of(new PeripheralConfig.Operation("read",
                Map.of("command", "true", "timeoutSeconds", "soon"))), List.of())))
                .hasMessage("operations[read].params.timeoutSeconds must be a positive number of seconds, was 'soon'");
    }
}
