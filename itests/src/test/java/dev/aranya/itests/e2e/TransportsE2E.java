package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.AranyaTransports;
import dev.aranya.itests.support.ArhatAgents;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.DistributionProcess;
import dev.aranya.itests.support.EchoServer;
import dev.aranya.itests.support.KubectlPortForward;
import dev.aranya.itests.support.MosquittoBroker;
import dev.aranya.itests.support.Nodes;
import dev.aranya.itests.support.PacedTransfer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The three transports at once, as an operator runs them: one Aranya process serving three EdgeDevices, one per
 * connectivity method (raw TCP, gRPC, MQTT through a real Mosquitto), each with its own arhat agent process. The
 * kubectl suite passes over each transport, and transport bundles are added, removed and updated through
 * Aranya's {@code deploy/} folder while the devices on the other transports carry on undisturbed.
 *
 * <p>Aranya starts with the MQTT transport in {@code deploy/} and the gRPC transport not installed at all (its jar
 * waits in a staging folder), so that the operator's moves are the test's: copy a jar in, delete it, overwrite it.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TransportsE2E {
    private static final List<String> METHODS = AranyaTransports.METHODS;
    private static final Pattern CONNECTED = Pattern.compile("Connected to Aranya over (\\w+)");

    private ControlPlane controlPlane;
    private TestNamespace namespace;
    private KubernetesClient kube;
    private MosquittoBroker broker;
    private EchoServer echo;
    private DistributionProcess aranya;
    private final Map<String, DistributionProcess> agents = new HashMap<>();
    private Path mqttJarInDeploy;
    private Path stagedGrpcJar;
    private Path deviceFiles;

    @BeforeAll
    void startAranyaAgentsAndDevices(ControlPlane controlPlane, TestNamespace namespace, @TempDir Path work)
            throws Exception {
        this.controlPlane = controlPlane;
        this.namespace = namespace;
        this.kube = namespace.client();
        broker = MosquittoBroker.start(work.resolve("mosquitto"));
        echo = EchoServer.start();
        deviceFiles = Files.createDirectories(work.resolve("device-files"));
        AranyaTransports transports = AranyaTransports.configure(controlPlane, namespace, work, "transports", broker,
                Map.of("kubeletPortMin", 21700, "kubeletPortMax", 21749, "offlineGraceSeconds", 2));
        aranya = transports.aranya();
        Path aranyaBundles = aranya.home().resolve("bundle");
        mqttJarInDeploy = aranya.home().resolve("deploy").resolve(ArhatAgents.jar(aranyaBundles, "aranya-transport-mqtt-").getFileName());
        Files.move(ArhatAgents.jar(aranyaBundles, "aranya-transport-mqtt-"), mqttJarInDeploy);
        stagedGrpcJar = Files.createDirectories(work.resolve("staging")).resolve(ArhatAgents.jar(aranyaBundles, "aranya-transport-grpc-").getFileName());
        Files.move(ArhatAgents.jar(aranyaBundles, "aranya-transport-grpc-"), stagedGrpcJar);
        aranya.start();

        for (String method : METHODS) {
            agents.put(method, ArhatAgents.configure(work, transports.pki(), namespace.name(), device(method), method,
                    transports.agentLink(method, topicNamespace()), Map.of("logSource", "file:log/arhat.log",
                            "reconnectInitialMillis", 200, "reconnectMaxMillis", 2000)).start());
        }
        StringBuilder edgeDevices = new StringBuilder();
        METHODS.forEach(method -> edgeDevices.append(transports.edgeDevice(device(method), method, topicNamespace())));
        controlPlane.kubectl(edgeDevices.toString(), "-n", namespace.name(), "apply", "-f", "-").orThrow("kubectl apply EdgeDevices");
        awaitReady(device("tcp"), "True", 300);
        awaitReady(device("mqtt"), "True", 60);
    }

    @AfterAll
    void stop() throws Exception {
        for (DistributionProcess agent : agents.values()) {
            agent.stop();
        }
        if (aranya != null) {
            aranya.stop();
        }
        if (broker != null) {
            broker.close();
        }
        if (echo != null) {
            echo.close();
        }
        if (kube != null) {
            METHODS.forEach(method -> kube.nodes().withName(device(method)).delete());
        }
    }

    @Test
    @Order(1)
    void aTransportBundleCopiedIntoDeployBringsItsDevicesOnline() throws Exception {
        assertThat(readyStatus(device("grpc"))).as("the gRPC device before its transport is installed").isNotEqualTo("True");

        Files.copy(stagedGrpcJar, aranya.home().resolve("deploy").resolve(stagedGrpcJar.getFileName()));

        awaitReady(device("grpc"), "True", 60);
        assertThat(connections("tcp")).isEqualTo(1);
        assertThat(connections("mqtt")).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "grpc", "mqtt"})
    @Order(2)
    void theKubectlSuitePassesOverEachTransport(String method) throws Exception {
        String device = device(method);
        awaitReady(device, "True", 60);

        ControlPlane.Result exec = controlPlane.kubectlOnceKubeletServes(60, null, "-n", namespace.name(), "exec", device,
                "--", "sh", "-c", "echo over-" + method + "; exit 3");
        assertThat(exec.exitCode()).as(exec.stderr()).isEqualTo(3);
        assertThat(exec.stdout()).isEqualTo("over-" + method + "\n");

        ControlPlane.Result cat = kubectl("stdin through " + method + "\n", "exec", "-i", device, "--", "cat");
        assertThat(cat.exitCode()).as(cat.stderr()).isZero();
        assertThat(cat.stdout()).isEqualTo("stdin through " + method + "\n");

        // typed before the console's shell runs: nothing may be lost on the way, whatever the transport
        ControlPlane.Result attach = kubectl("echo attached-$((6*7))-" + method + "\nexit 0\n",
                "attach", "-i", device, "-c", "host");
        assertThat(attach.exitCode()).as(attach.stderr()).isZero();
        assertThat(attach.stdout()).contains("attached-42-" + method);

        ControlPlane.Result logs = kubectl(null, "logs", device);
        assertThat(logs.exitCode()).as(logs.stderr()).isZero();
        assertThat(logs.stdout()).contains("Connected to Aranya over " + method);

        byte[] bytes = new byte[4 << 20];
        new Random(method.hashCode()).nextBytes(bytes);
        try (KubectlPortForward forward = KubectlPortForward.start(Path.of("kubectl"), controlPlane.kubeconfig(),
                namespace.name(), device, echo.port())) {
            assertThat(sha256(EchoServer.roundTrip(forward.localPort(), bytes))).isEqualTo(sha256(bytes));
        }

        Path onDevice = Files.createDirectories(deviceFiles.resolve(method));
        Path toDevice = onDevice.resolveSibling(method + "-local.bin");
        Files.write(toDevice, bytes);
        assertThat(kubectl(null, "cp", toDevice.toString(), device + ":" + onDevice.resolve("copied-in.bin"))
                .exitCode()).isZero();
        assertThat(sha256(Files.readAllBytes(onDevice.resolve("copied-in.bin")))).isEqualTo(sha256(bytes));
        Path copiedOut = onDevice.resolveSibling(method + "-copied-out.bin");
        ControlPlane.Result cpOut = kubectl(null, "cp", device + ":" + onDevice.resolve("copied-in.bin"), copiedOut.toString());
        assertThat(cpOut.exitCode()).as(cpOut.stderr()).isZero();
        assertThat(sha256(Files.readAllBytes(copiedOut))).isEqualTo(sha256(bytes));
    }

    @Test
    @Order(3)
    void removingTheMqttBundleTakesOnlyTheMqttDeviceOfflineAndAddingItBackRestoresIt() throws Exception {
        try (KubectlPortForward forward = KubectlPortForward.start(Path.of("kubectl"), controlPlane.kubeconfig(),
                namespace.name(), device("tcp"), echo.port());
                PacedTransfer transfer = PacedTransfer.start(forward.localPort())) {
            Process mqttExec = new ProcessBuilder("kubectl", "--kubeconfig", controlPlane.kubeconfig().toString(),
                    "-n", namespace.name(), "exec", "-i", device("mqtt"), "--", "cat").start();
            byte[] mqttJar = Files.readAllBytes(mqttJarInDeploy);
            Files.delete(mqttJarInDeploy);
            awaitReady(device("mqtt"), "Unknown|False", 60);
            assertThat(mqttExec.waitFor(30, TimeUnit.SECONDS)).as("an exec on the MQTT device ends").isTrue();
            String execError = new String(mqttExec.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(mqttExec.exitValue()).as(execError).isNotZero();
            // the open exec sees its session end as the transport stops; an exec started a moment later, the device offline
            assertThat(execError).containsAnyOf("the MQTT transport is stopping", "the device is offline");
            assertThat(readyStatus(device("tcp"))).isEqualTo("True");
            assertThat(readyStatus(device("grpc"))).isEqualTo("True");

            Files.write(mqttJarInDeploy, mqttJar);
            awaitReady(device("mqtt"), "True", 60);
            assertThat(readyStatus(device("tcp"))).isEqualTo("True");
            assertThat(readyStatus(device("grpc"))).isEqualTo("True");

            PacedTransfer.Outcome outcome = transfer.finish();
            assertThat(outcome.bytes()).as("bytes echoed during the swap").isGreaterThan(1 << 20);
            assertThat(outcome.receivedSha256()).isEqualTo(outcome.sentSha256());
        }
        assertThat(connections("tcp")).as("TCP agent's connections").isEqualTo(1);
        assertThat(connections("grpc")).as("gRPC agent's connections").isEqualTo(1);
        assertThat(connections("mqtt")).as("MQTT agent's connections").isEqualTo(2);
    }

    @Test
    @Order(4)
    void updatingTheGrpcBundleLeavesTheOtherDevicesUntouched() throws Exception {
        Path grpcJar = aranya.home().resolve("deploy").resolve(stagedGrpcJar.getFileName());
        int mqttConnections = connections("mqtt");
        try (KubectlPortForward forward = KubectlPortForward.start(Path.of("kubectl"), controlPlane.kubeconfig(),
                namespace.name(), device("tcp"), echo.port());
                PacedTransfer transfer = PacedTransfer.start(forward.localPort())) {
            int grpcConnections = connections("grpc");
            // an operator's update: the jar in deploy/ is replaced by a (here: the same) build
            Files.copy(stagedGrpcJar, grpcJar, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(grpcJar, FileTime.from(Instant.now()));
            await("the gRPC agent connected again", () -> connections("grpc") > grpcConnections, 60);
            awaitReady(device("grpc"), "True", 60);

            PacedTransfer.Outcome outcome = transfer.finish();
            assertThat(outcome.receivedSha256()).isEqualTo(outcome.sentSha256());
        }
        assertThat(readyStatus(device("tcp"))).isEqualTo("True");
        assertThat(readyStatus(device("mqtt"))).isEqualTo("True");
        assertThat(connections("tcp")).as("TCP agent's connections").isEqualTo(1);
        assertThat(connections("mqtt")).as("MQTT agent's connections").isEqualTo(mqttConnections);
    }

    private ControlPlane.Result kubectl(String stdin, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-n";
        all[1] = namespace.name();
        System.arraycopy(args, 0, all, 2, args.length);
        return controlPlane.kubectl(stdin, all);
    }

    private String device(String method) {
        return "swap-" + method;
    }

    private String topicNamespace() {
        return "aranya/" + namespace.name() + "/" + device("mqtt");
    }

    /** How many times the method's agent logged a new connection to Aranya. */
    private int connections(String method) {
        Matcher matcher = CONNECTED.matcher(agents.get(method).output());
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }

    private String readyStatus(String node) {
        return Nodes.readyStatus(kube, node).orElse("none");
    }

    private void awaitReady(String node, String statusPattern, int seconds) throws InterruptedException {
        await("Node " + node + " Ready " + statusPattern, () -> readyStatus(node).matches(statusPattern), seconds);
    }

    /** Polls the condition; fails with the tails of Aranya's and the agents' output. */
    private void await(String what, Supplier<Boolean> condition, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.get()) {
                return;
            }
            Thread.sleep(250);
        }
        StringBuilder tails = new StringBuilder("--- aranya ---\n").append(DistributionProcess.tail(aranya.output(), 60));
        agents.forEach((method, agent) -> tails.append("\n--- agent ").append(method).append(" ---\n")
                .append(DistributionProcess.tail(agent.output(), 15)));
        throw new AssertionError("no " + what + " within " + seconds + " s\n" + tails);
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
