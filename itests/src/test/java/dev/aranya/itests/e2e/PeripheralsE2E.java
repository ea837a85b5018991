package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.model.EdgeDevice;
import dev.aranya.driver.modbus.internal.ModbusSimulator;
import dev.aranya.itests.support.AranyaOverTcp;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.DistributionProcess;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peripherals as a user meets them (issue 9): an EdgeDevice declares a {@code process} peripheral and a
 * {@code modbus-tcp} one (against a Modbus TCP simulator), the agent (a process) drives them through driver bundles,
 * kubectl runs their operations and reads their metrics through the node proxy. The agent starts without the process
 * driver: dropping its jar into the running agent's {@code deploy/} brings that peripheral up, removing it takes only
 * that peripheral down, and the agent keeps running throughout.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PeripheralsE2E {
    private static final String DEVICE = "drv-e2e-dev";

    private ControlPlane controlPlane;
    private TestNamespace namespace;
    private KubernetesClient kube;
    private AranyaOverTcp chain;
    private DistributionProcess aranya;
    private DistributionProcess agent;
    private Path processDriverJar;
    private ModbusSimulator plc;

    @BeforeAll
    void startAranyaAndAgent(ControlPlane controlPlane, TestNamespace namespace, @TempDir Path work) throws Exception {
        this.controlPlane = controlPlane;
        this.namespace = namespace;
        this.kube = namespace.client();
        chain = AranyaOverTcp.configure(controlPlane, namespace, work, DEVICE,
                Map.of("kubeletPortMin", 22800, "kubeletPortMax", 22849),
                Map.of("reconnectInitialMillis", 200, "reconnectMaxMillis", 2000));
        chain.aranya().configure("dev.aranya.session", Map.of("statusIntervalSeconds", 3));
        agent = chain.agent();
        // the agent starts without the process driver: it arrives later through deploy/
        try (Stream<Path> bundles = Files.list(agent.home().resolve("bundle"))) {
            Path shipped = bundles.filter(p -> p.getFileName().toString().startsWith("arhat-driver-process")).findFirst().orElseThrow();
            processDriverJar = Files.move(shipped, work.resolve(shipped.getFileName()));
        }
        Path sensor = Files.writeString(work.resolve("sensor.sh"), """
                echo "sensor read $1"
                echo "to stderr" >&2
                exit ${2:-0}
                """);
        Path temperature = Files.writeString(work.resolve("temperature"), "temp=21.5\n");
        plc = new ModbusSimulator();
        plc.holding[41] = 1200;
        aranya = chain.aranya().start();
        agent.start();
        controlPlane.kubectl("""
                apiVersion: aranya.arhat.dev/v1alpha1
                kind: EdgeDevice
                metadata:
                  name: %s
                spec:
                  connectivity:
                    method: tcp
                  peripherals:
                  - name: sensor
                    connector:
                      method: process
                    operations:
                    - name: read
                      params:
                        command: sh %s
                    metrics:
                    - name: sensor_temperature_celsius
                      valueType: gauge
                      params:
                        file: %s
                        pattern: "temp=([0-9.]+)"
                  - name: plc
                    connector:
                      method: modbus-tcp
                      target: 127.0.0.1:%d
                    operations:
                    - name: set-speed
                      params:
                        function: write-single-register
                        address: "40"
                    metrics:
                    - name: plc_motor_speed_rpm
                      valueType: gauge
                      params:
                        function: read-holding-registers
                        address: "41"
                """.formatted(DEVICE, sensor, temperature, plc.port()), "-n", namespace.name(), "apply", "-f", "-")
                .orThrow("kubectl apply EdgeDevice");
        awaitCondition("Connected", "True", "", 300);
    }

    @AfterAll
    void stop() throws InterruptedException, IOException {
        if (plc != null) {
            plc.close();
        }
        if (agent != null) {
            agent.stop();
        }
        if (aranya != null) {
            aranya.stop();
        }
        if (kube != null) {
            controlPlane.kubectl(null, "-n", namespace.name(), "delete", "edgedevice", DEVICE, "--wait=false");
            kube.nodes().withName(DEVICE).delete();
        }
    }

    @Test
    @Order(1)
    void aPeripheralWithoutItsDriverIsReportedAndItsOperationsSaySo() throws IOException {
        Condition ready = awaitCondition("PeripheralsReady", "False", "sensor: no driver for connector method 'process'", 60);
        assertThat(ready.getReason()).isEqualTo("DriverMissing");
        assertThat(ready.getMessage()).doesNotContain("plc");
        assertThat(controlPlane.kubectl(null, "-n", namespace.name(), "get", "events", "--field-selector",
                "involvedObject.name=" + DEVICE).stdout()).contains("DriverMissing");

        ControlPlane.Result exec = controlPlane.kubectlOnceKubeletServes(60, null, "-n", namespace.name(), "exec", DEVICE,
                "-c", "sensor", "--", "read");
        assertThat(exec.exitCode()).isNotZero();
        assertThat(exec.stderr()).contains("peripheral sensor is not ready: no driver for connector method 'process'");
    }

    @Test
    @Order(2)
    void droppingTheDriverIntoDeployBringsThePeripheralUp() throws IOException {
        Files.copy(processDriverJar, agent.home().resolve("deploy").resolve(processDriverJar.getFileName()));

        Condition ready = awaitCondition("PeripheralsReady", "True", "2 peripherals ready", 60);
        assertThat(ready.getReason()).isEqualTo("AllReady");
        assertThat(agentConnections()).isEqualTo(1);
    }

    @Test
    @Order(3)
    void kubectlExecRunsTheOperationWithItsOutputAndExitCode() {
        ControlPlane.Result exec = exec("sensor", "read", "now", "7");

        assertThat(exec.exitCode()).as(exec.stderr()).isEqualTo(7);
        assertThat(exec.stdout()).isEqualTo("sensor read now\n");
        assertThat(exec.stderr()).contains("to stderr");

        ControlPlane.Result ok = exec("sensor", "read", "again");
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        assertThat(ok.stdout()).isEqualTo("sensor read again\n");

        ControlPlane.Result write = exec("plc", "set-speed", "1500");
        assertThat(write.exitCode()).as(write.stderr()).isZero();
        assertThat(write.stdout()).isEqualTo("wrote 1500 to register 40\n");
        assertThat(plc.holding[40]).isEqualTo(1500);

        ControlPlane.Result usage = exec("plc", "set-speed", "fast");
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(usage.stderr()).contains("the value to write must be within 0..65535, was 'fast'");
    }

    @Test
    @Order(4)
    void anUnknownOperationFailsListingTheValidOnes() {
        ControlPlane.Result exec = exec("sensor", "calibrate");

        assertThat(exec.exitCode()).isNotZero();
        assertThat(exec.stderr()).contains("peripheral sensor has no operation 'calibrate': valid operations: read");
    }

    @Test
    @Order(5)
    void theNodeProxyMetricsShowThePeripheralMetrics() {
        String line = await("sensor metric in /metrics", () -> {
            ControlPlane.Result metrics = controlPlane.kubectl(null, "get", "--raw", "/api/v1/nodes/" + DEVICE + "/proxy/metrics");
            return metrics.stdout().lines().filter(l -> l.startsWith("sensor_temperature_celsius{")).findFirst();
        }, 90);

        assertThat(line).contains("device=\"" + DEVICE + "\"").contains("peripheral=\"sensor\"").endsWith(" 21.5");
        String modbus = controlPlane.kubectl(null, "get", "--raw", "/api/v1/nodes/" + DEVICE + "/proxy/metrics").stdout()
                .lines().filter(l -> l.startsWith("plc_motor_speed_rpm{")).findFirst().orElseThrow();
        assertThat(modbus).contains("peripheral=\"plc\"").endsWith(" 1200");
    }

    @Test
    @Order(6)
    void removingTheDriverTakesOnlyItsPeripheralDown() throws IOException {
        Files.delete(agent.home().resolve("deploy").resolve(processDriverJar.getFileName()));

        awaitCondition("PeripheralsReady", "False", "sensor: no driver for connector method 'process'", 60);
        ControlPlane.Result exec = exec("sensor", "read");
        assertThat(exec.exitCode()).isNotZero();
        assertThat(exec.stderr()).contains("not ready");
        // the agent did not restart; the other peripheral and the device host are still there
        assertThat(agentConnections()).isEqualTo(1);
        assertThat(condition("PeripheralsReady").getMessage()).doesNotContain("plc");
        ControlPlane.Result write = exec("plc", "set-speed", "10");
        assertThat(write.exitCode()).as(write.stderr()).isZero();
        assertThat(plc.holding[40]).isEqualTo(10);
        ControlPlane.Result host = controlPlane.kubectl(null, "-n", namespace.name(), "exec", DEVICE, "--", "echo", "host");
        assertThat(host.stdout()).isEqualTo("host\n");
    }

    private ControlPlane.Result exec(String container, String... command) {
        String[] args = Stream.concat(Stream.of("-n", namespace.name(), "exec", DEVICE, "-c", container, "--"),
                Stream.of(command)).toArray(String[]::new);
        return controlPlane.kubectl(null, args);
    }

    /** How often the agent connected: one connection all along means it never restarted or reconnected. */
    private long agentConnections() throws IOException {
        assertThat(agent.alive()).as("the agent process runs").isTrue();
        return Files.readAllLines(agent.home().resolve("log/arhat.log")).stream()
                .filter(line -> line.contains("Connected to Aranya over tcp")).count();
    }

    private Condition condition(String type) {
        EdgeDevice device = kube.resources(EdgeDevice.class).withName(DEVICE).get();
        return device == null || device.getStatus() == null || device.getStatus().conditions() == null ? new Condition()
                : device.getStatus().conditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(new Condition());
    }

    private Condition awaitCondition(String type, String status, String messagePart, int seconds) {
        return await(type + "=" + status + " with '" + messagePart + "'", () -> Optional.of(condition(type))
                .filter(c -> status.equals(c.getStatus()) && c.getMessage() != null && c.getMessage().contains(messagePart)), seconds);
    }

    private <T> T await(String what, Supplier<Optional<T>> probe, int seconds) {
        return chain.await(what, probe, seconds);
    }
}
