package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.Nodes;
import dev.aranya.itests.support.AranyaOverTcp;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.EchoServer;
import dev.aranya.itests.support.EdgeDeviceManifests;
import dev.aranya.itests.support.KubectlPortForward;
import dev.aranya.itests.support.RoundTrips;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kubelet streams through the whole chain: kubectl → kube-apiserver → Aranya's kubelet endpoint → session →
 * TCP transport → the arhat agent (separate processes) → the device host. 100 MiB through exec stdin and through
 * port-forward, 20 concurrent port-forward connections, and the figures of a small benchmark against a direct
 * loopback connection.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubeletAgentE2E {
    private static final String DEVICE = "kubelet-e2e-dev";
    private static final Path KUBECTL_WEBSOCKET = Path.of("/usr/bin/kubectl");
    private static final Path KUBECTL_SPDY = Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.27");
    private static final List<Path> KUBECTLS = List.of(KUBECTL_WEBSOCKET, KUBECTL_SPDY);
    private static final int BULK_BYTES = 100 << 20;

    private ControlPlane controlPlane;
    private TestNamespace namespace;
    private AranyaOverTcp chain;
    private EchoServer echo;

    @BeforeAll
    void startAranyaAndAgent(ControlPlane controlPlane, TestNamespace namespace, @TempDir Path work) throws Exception {
        this.controlPlane = controlPlane;
        this.namespace = namespace;
        echo = EchoServer.start();
        chain = AranyaOverTcp.configure(controlPlane, namespace, work, DEVICE,
                Map.of("kubeletPortMin", 20400, "kubeletPortMax", 20449), Map.of());
        chain.aranya().start();
        chain.agent().start();
        controlPlane.kubectl(EdgeDeviceManifests.served(DEVICE, "tcp"), "-n", namespace.name(), "apply", "-f", "-").orThrow("kubectl apply EdgeDevice");
        KubernetesClient kube = namespace.client();
        chain.await("Node " + DEVICE + " Ready", () -> Nodes.readyStatus(kube, DEVICE).filter("True"::equals), 120);
        chain.await("virtual pod Running", () -> Optional.ofNullable(kube.pods().withName(DEVICE).get())
                .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())), 60);
        controlPlane.kubectlOnceKubeletServes(60, null, "-n", namespace.name(), "exec", DEVICE, "--", "true").orThrow("kubectl exec");
    }

    @AfterAll
    void stop() throws Exception {
        if (chain != null) {
            chain.stop();
        }
        if (echo != null) {
            echo.close();
        }
        namespace.client().nodes().withName(DEVICE).delete();
    }

    @Test
    void hundredMebibytesThroughExecStdinAndPortForwardArriveIntact(@TempDir Path dir) throws Exception {
        byte[] bytes = new byte[BULK_BYTES];
        new Random(7).nextBytes(bytes);
        Path data = dir.resolve("data.bin");
        Files.write(data, bytes);
        String sha256 = sha256(bytes);
        for (Path kubectl : KUBECTLS) {
            long start = System.nanoTime();
            Process exec = new ProcessBuilder(kubectl.toString(), "--kubeconfig", controlPlane.kubeconfig().toString(),
                    "-n", namespace.name(), "exec", "-i", DEVICE, "--", "sha256sum").redirectInput(data.toFile())
                    .redirectErrorStream(true).start();
            String output = new String(exec.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(exec.waitFor(300, TimeUnit.SECONDS)).isTrue();
            assertThat(output).as("%s", kubectl).startsWith(sha256);
            System.out.printf("kubelet e2e: exec stdin via %s: 100 MiB at %.1f MiB/s%n", kubectl.getFileName(),
                    RoundTrips.mebibytesPerSecond(BULK_BYTES, start));

            try (KubectlPortForward forward = portForward(kubectl)) {
                start = System.nanoTime();
                assertThat(sha256(EchoServer.roundTrip(forward.localPort(), bytes))).as("%s", kubectl).isEqualTo(sha256);
                System.out.printf("kubelet e2e: port-forward echo via %s: 100 MiB each way at %.1f MiB/s%n",
                        kubectl.getFileName(), RoundTrips.mebibytesPerSecond(BULK_BYTES, start));
            }
        }
    }

    @Test
    void execWithATerminalRunsOnAPseudoTerminalOfTheDevice() throws Exception {
        for (Path kubectl : KUBECTLS) {
            // script(1) gives kubectl a real terminal, so it asks for a TTY; what is typed goes through it
            String command = kubectl + " --kubeconfig " + controlPlane.kubeconfig() + " -n " + namespace.name()
                    + " exec -it " + DEVICE + " -- sh -c 'tty; read line; echo got-$line; exit 4'";
            Process process = new ProcessBuilder("script", "-qec", command, "/dev/null").redirectErrorStream(true).start();
            process.getOutputStream().write("typed\n".getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s: %s", kubectl, output).isTrue();
            assertThat(output).as("%s: the agent's pty", kubectl).containsPattern("/dev/pts/\\d+");
            assertThat(output).as("%s", kubectl).contains("got-typed");
            assertThat(process.exitValue()).as("%s: %s", kubectl, output).isEqualTo(4);
        }
    }

    @Test
    void twentyConcurrentPortForwardConnections() throws Exception {
        for (Path kubectl : KUBECTLS) {
            try (KubectlPortForward forward = portForward(kubectl)) {
                List<CompletableFuture<byte[]>> connections = new ArrayList<>();
                List<byte[]> sent = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    byte[] payload = new byte[256 * 1024];
                    new Random(i).nextBytes(payload);
                    sent.add(payload);
                    connections.add(CompletableFuture.supplyAsync(() -> EchoServer.roundTrip(forward.localPort(), payload)));
                }
                for (int i = 0; i < 20; i++) {
                    assertThat(connections.get(i).get(120, TimeUnit.SECONDS)).as("%s connection %d", kubectl, i)
                            .isEqualTo(sent.get(i));
                }
            }
        }
    }

    @Test
    void benchmarkAgainstADirectLoopbackConnection() throws Exception {
        byte[] bytes = new byte[32 << 20];
        new Random(3).nextBytes(bytes);
        long start = System.nanoTime();
        assertThat(EchoServer.roundTrip(echo.port(), bytes)).isEqualTo(bytes);
        double direct = RoundTrips.mebibytesPerSecond(bytes.length, start);
        double directLatency = RoundTrips.median(RoundTrips.socketMicros(echo.port(), 200));
        for (Path kubectl : KUBECTLS) {
            try (KubectlPortForward forward = portForward(kubectl)) {
                start = System.nanoTime();
                assertThat(EchoServer.roundTrip(forward.localPort(), bytes)).isEqualTo(bytes);
                double forwarded = RoundTrips.mebibytesPerSecond(bytes.length, start);
                double forwardedLatency = RoundTrips.median(RoundTrips.socketMicros(forward.localPort(), 200));
                System.out.printf("kubelet e2e benchmark via %s: port-forward %.1f MiB/s vs direct %.1f MiB/s "
                        + "(ratio %.3f); 64-byte round trip median %.0f µs vs direct %.0f µs (ratio %.0f)%n",
                        kubectl.getFileName(), forwarded, direct, forwarded / direct, forwardedLatency, directLatency,
                        forwardedLatency / directLatency);
            }
            double execLatency = RoundTrips.median(RoundTrips.execLineMicros(kubectl, controlPlane.kubeconfig(),
                    namespace.name(), DEVICE, 50));
            System.out.printf("kubelet e2e benchmark via %s: exec (cat) line round trip median %.0f µs vs direct "
                    + "%.0f µs (ratio %.0f)%n", kubectl.getFileName(), execLatency, directLatency,
                    execLatency / directLatency);
        }
    }

    private KubectlPortForward portForward(Path kubectl) throws IOException {
        return KubectlPortForward.start(kubectl, controlPlane.kubeconfig(), namespace.name(), DEVICE, echo.port());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
