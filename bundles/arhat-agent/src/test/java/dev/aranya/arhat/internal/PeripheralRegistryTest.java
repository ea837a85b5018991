package dev.aranya.arhat.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.driver.DeviceDriver;
import dev.aranya.api.driver.Peripheral;
import dev.aranya.api.driver.PeripheralConfig;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.MetricType;
import dev.aranya.protocol.v1.PeripheralConnector;
import dev.aranya.protocol.v1.PeripheralMetric;
import dev.aranya.protocol.v1.PeripheralOperation;
import dev.aranya.protocol.v1.PeripheralState;
import dev.aranya.protocol.v1.PeripheralState.Phase;
import dev.aranya.protocol.v1.Peripherals;
import dev.aranya.protocol.v1.PeripheralsStatus;
import dev.aranya.protocol.v1.StreamEnd;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PeripheralRegistryTest {
    private final PeripheralRegistry registry = new PeripheralRegistry();
    private final BlockingQueue<PeripheralsStatus> reports = new LinkedBlockingQueue<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    /** A driver whose operation 'echo' prints its arguments and exits with the count; metric 'level' is 42. */
    private static final class EchoDriver implements DeviceDriver {
        @Override
        public String method() {
            return "echo";
        }

        @Override
        public Peripheral open(PeripheralConfig config) {
            if (config.target().equals("bad")) {
                throw new IllegalArgumentException("connector.target 'bad' is not a bus");
            }
            return new Peripheral() {
                @Override
                public int execute(PeripheralConfig.Operation operation, List<String> args, InputStream stdin,
                                   OutputStream stdout, OutputStream stderr) throws java.io.IOException {
                    stdout.write(String.join(" ", args).getBytes(StandardCharsets.UTF_8));
                    return args.size();
                }

                @Override
                public List<Sample> collect() {
                    return List.of(new Sample("level", 42, Map.of("unit", "cm")));
                }

                @Override
                public void close() {
                }
            };
        }
    }

    @AfterEach
    void stop() throws InterruptedException {
        registry.deactivate();
        pool.shutdownNow();
    }

    private static dev.aranya.protocol.v1.Peripheral peripheral(String name, String method, String target) {
        return dev.aranya.protocol.v1.Peripheral.newBuilder().setName(name)
                .setConnector(PeripheralConnector.newBuilder().setMethod(method).setTarget(target))
                .addOperations(PeripheralOperation.newBuilder().setName("echo"))
                .addOperations(PeripheralOperation.newBuilder().setName("reset"))
                .addMetrics(PeripheralMetric.newBuilder().setName("level").setValueType(MetricType.METRIC_TYPE_GAUGE))
                .build();
    }

    private Map<String, PeripheralState> nextReport() throws InterruptedException {
        PeripheralsStatus status = reports.poll(10, TimeUnit.SECONDS);
        assertThat(status).as("a peripherals report").isNotNull();
        java.util.Map<String, PeripheralState> byName = new java.util.TreeMap<>();
        status.getPeripheralsList().forEach(state -> byName.put(state.getName(), state));
        return byName;
    }

    private RecordingStream exec(String container, String... command) {
        RecordingStream stream = new RecordingStream();
        PeripheralExecStream exec = new PeripheralExecStream(Exec.newBuilder().setContainer(container)
                .addAllCommand(List.of(command)).setStdout(true).setStderr(true).build(), stream, registry);
        stream.listener(exec);
        exec.start(pool);
        return stream;
    }

    @Test
    void aPeripheralWaitsForItsDriverAndGoesDownWithIt() throws Exception {
        registry.configure("rpi", Peripherals.newBuilder().addPeripherals(peripheral("tank", "echo", ""))
                .addPeripherals(peripheral("broken", "echo", "bad")).build(), reports::add);

        Map<String, PeripheralState> missing = nextReport();
        assertThat(missing.get("tank").getPhase()).isEqualTo(Phase.PHASE_DRIVER_MISSING);
        assertThat(missing.get("tank").getMessage()).startsWith("no driver for connector method 'echo' is installed on the device (installed: none)");
        StreamEnd notReady = exec("tank", "echo").awaitEnd();
        assertThat(notReady.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_UNAVAILABLE);
        assertThat(notReady.getError().getMessage()).startsWith("peripheral tank is not ready: no driver for connector method 'echo'");

        EchoDriver driver = new EchoDriver();
        registry.bindDriver(driver, Map.of(DeviceDriver.METHOD_PROPERTY, "echo"));
        Map<String, PeripheralState> up = nextReport();
        assertThat(up.get("tank").getPhase()).isEqualTo(Phase.PHASE_READY);
        assertThat(up.get("broken").getPhase()).isEqualTo(Phase.PHASE_FAILED);
        assertThat(up.get("broken").getMessage()).isEqualTo("driver 'echo' cannot open it: connector.target 'bad' is not a bus");

        registry.unbindDriver(driver, Map.of(DeviceDriver.METHOD_PROPERTY, "echo"));
        assertThat(nextReport().get("tank").getPhase()).isEqualTo(Phase.PHASE_DRIVER_MISSING);
        assertThat(registry.find("tank")).isEmpty();
    }

    @Test
    void execRunsTheNamedOperationAndRefusesOthersListingTheValidOnes() throws Exception {
        registry.bindDriver(new EchoDriver(), Map.of(DeviceDriver.METHOD_PROPERTY, "echo"));
        registry.configure("rpi", Peripherals.newBuilder().addPeripherals(peripheral("tank", "echo", "")).build(), reports::add);
        assertThat(nextReport().get("tank").getPhase()).isEqualTo(Phase.PHASE_READY);

        RecordingStream ran = exec("tank", "echo", "a", "b");
        assertThat(ran.awaitEnd().getExitCode()).isEqualTo(2);
        assertThat(ran.text(Channel.CHANNEL_STDOUT)).isEqualTo("a b");

        StreamEnd unknown = exec("tank", "drain").awaitEnd();
        assertThat(unknown.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_NOT_FOUND);
        assertThat(unknown.getError().getMessage()).isEqualTo("peripheral tank has no operation 'drain': valid operations: echo, reset");
        assertThat(exec("tank").awaitEnd().getError().getMessage())
                .isEqualTo("name an operation of peripheral tank after '--': valid operations: echo, reset");
    }

    @Test
    void metricsCarryTheDeviceAndPeripheralLabelsAndTheSpecsType() throws Exception {
        registry.bindDriver(new EchoDriver(), Map.of(DeviceDriver.METHOD_PROPERTY, "echo"));
        registry.configure("rpi", Peripherals.newBuilder().addPeripherals(peripheral("tank", "echo", "")).build(), reports::add);
        nextReport();

        RecordingStream.await(() -> !registry.samples().isEmpty(), "metrics collected");
        assertThat(registry.samples()).singleElement().satisfies(sample -> {
            assertThat(sample.getName()).isEqualTo("level");
            assertThat(sample.getValue()).isEqualTo(42);
            assertThat(sample.getType()).isEqualTo(MetricType.METRIC_TYPE_GAUGE);
            assertThat(sample.getLabelsMap()).containsExactlyInAnyOrderEntriesOf(Map.of("device", "rpi", "peripheral", "tank", "unit", "cm"));
        });
    }
}
