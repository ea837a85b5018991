package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.Nodes;
import dev.aranya.itests.support.ArhatAgents;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.DevicePki;
import dev.aranya.itests.support.DistributionProcess;
import dev.aranya.itests.support.EdgeDeviceManifests;
import dev.aranya.itests.support.KarafDistribution;
import dev.aranya.itests.support.MosquittoBroker;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Aranya deployed the Karaf way: a stock Karaf, Aranya's features repository, {@code feature:install aranya-core
 * aranya-transport-tcp aranya-shell}; an agent connects and its Node becomes Ready; the MQTT transport installed later into the
 * running Karaf brings an MQTT device online without a restart.
 */
@ExtendWith(ControlPlaneExtension.class)
class KarafFeaturesE2E {
    private static final String FEATURES = "mvn:dev.aranya/aranya-features/" + System.getProperty("aranya.version")
            + "/xml/features";
    private static final Pattern NOT_STARTED = Pattern.compile("(Installed|Resolved)\\s[^\n]*dev\\.aranya");

    @TempDir
    Path work;

    @Test
    void aranyaInAStockKarafServesADeviceAndTakesATransportInstalledLater(ControlPlane controlPlane,
            TestNamespace namespace) throws Exception {
        DevicePki pki = DevicePki.create(work.resolve("pki"), "127.0.0.1", "localhost");
        int tcpPort = freePort();
        String tcpDevice = "karaf-tcp";
        String mqttDevice = "karaf-mqtt";
        String topicNamespace = "aranya/" + namespace.name() + "/" + mqttDevice;
        try (KarafDistribution karaf = KarafDistribution.unpack(work);
                MosquittoBroker broker = MosquittoBroker.start(work.resolve("mosquitto"));
                DistributionProcess tcpAgent = ArhatAgents.configure(work, pki, namespace.name(), tcpDevice, "tcp",
                        Map.of("link.host", "127.0.0.1", "link.port", tcpPort), Map.of("reconnectMaxMillis", 2000));
                DistributionProcess mqttAgent = ArhatAgents.configure(work, pki, namespace.name(), mqttDevice, "mqtt",
                        Map.of("link.broker", broker.address(), "link.topicNamespace", topicNamespace),
                        Map.of("reconnectMaxMillis", 2000))) {
            karaf.configuration("dev.aranya.kube", Map.of("kubeconfig", controlPlane.kubeconfig().toString(),
                    "namespace", namespace.name()));
            karaf.configuration("dev.aranya.transport.tcp", Map.of("bindAddress", "127.0.0.1",
                    "port", String.valueOf(tcpPort), "tlsCertificate", pki.serverCertificate().toString(),
                    "tlsKey", pki.serverKey().toString(), "auth", "client-certificate", "clientCa", pki.ca().toString()));
            karaf.configuration("dev.aranya.controller", Map.of("kubeletPortMin", "21800", "kubeletPortMax", "21849"));
            karaf.start();

            // -r: no refresh of bundles already running; a refresh of the BouncyCastle users would restart Karaf's own SSH
            // server under this very session
            karaf.execute("feature:repo-add " + FEATURES, "feature:install -r aranya-core aranya-transport-tcp aranya-shell");

            // Karaf starts the installed bundles in the background, in start-level order
            String bundles = karaf.awaitOutput("bundle:list -s -t 0", out -> !NOT_STARTED.matcher(out).find(), 180);
            assertThat(bundles).as(bundles).containsPattern("Active\\s.*dev\\.aranya\\.kube\\s")
                    .containsPattern("Active\\s.*dev\\.aranya\\.controller\\s")
                    .containsPattern("Active\\s.*dev\\.aranya\\.kubelet\\s")
                    .containsPattern("Active\\s.*dev\\.aranya\\.transport\\.tcp\\s")
                    .containsPattern("Active\\s.*io\\.fabric8\\.kubernetes-client-all")
                    .doesNotContainPattern("dev\\.aranya\\.transport\\.mqtt")
                    .doesNotContainPattern("(Installed|Resolved|Failure)\\s.*dev\\.aranya");
            String services = karaf.execute("service:list io.fabric8.kubernetes.client.KubernetesClient",
                    "service:list dev.aranya.api.host.HostAddresses");
            assertThat(services).as(services).contains("aranya.namespace = " + namespace.name())
                    .contains("component.name = dev.aranya.kube.internal.HostAddressesComponent");

            tcpAgent.start();
            mqttAgent.start();
            controlPlane.kubectl(EdgeDeviceManifests.all(EdgeDeviceManifests.served(tcpDevice, "tcp"),
                            EdgeDeviceManifests.mqtt(mqttDevice, broker.address(), topicNamespace)),
                    "-n", namespace.name(), "apply", "-f", "-").orThrow("kubectl apply EdgeDevices");

            awaitReady(controlPlane, karaf, tcpDevice, 180, tcpAgent);
            ControlPlane.Result exec = controlPlane.kubectlOnceKubeletServes(60, null, "-n", namespace.name(), "exec", tcpDevice, "--",
                    "sh", "-c", "echo served-by-karaf");
            assertThat(exec.exitCode()).as(exec.stderr()).isZero();
            assertThat(exec.stdout()).isEqualTo("served-by-karaf\n");
            assertThat(readyStatus(controlPlane, mqttDevice)).as("the MQTT device without its transport").isNotEqualTo("True");

            karaf.execute("feature:install -r aranya-transport-mqtt");

            awaitReady(controlPlane, karaf, mqttDevice, 120, mqttAgent);
            assertThat(karaf.execute("bundle:list -s -t 0")).containsPattern("Active\\s.*dev\\.aranya\\.transport\\.mqtt\\s");
            assertThat(readyStatus(controlPlane, tcpDevice)).as("the TCP device meanwhile").isEqualTo("True");
            assertThat(tcpAgent.output().split("Connected to Aranya over tcp", -1))
                    .as("the TCP agent connected once: Karaf was not restarted under it").hasSize(2);
            assertThat(karaf.log()).contains("serving namespace '" + namespace.name() + "'");

            // the operator's view from Karaf's console (aranya-shell)
            String ns = namespace.name();
            assertThat(karaf.execute("aranya:devices")).containsPattern(tcpDevice + "\\s+tcp\\s+yes\\s+True\\s+218\\d\\d\\s")
                    .containsPattern(mqttDevice + "\\s+mqtt\\s+yes\\s+True\\s+218\\d\\d\\s");
            assertThat(karaf.execute("aranya:sessions")).containsPattern(ns + "/" + tcpDevice + "\\s+tcp\\s+/?127\\.0\\.0\\.1:\\d+")
                    .containsPattern(ns + "/" + mqttDevice + "\\s+mqtt\\s");
            assertThat(karaf.execute("aranya:transports")).containsPattern("mqtt\\s+dev\\.aranya\\.transport\\.mqtt \\S+\\s+active\\s+1\\s")
                    .containsPattern("tcp\\s+dev\\.aranya\\.transport\\.tcp \\S+\\s+active\\s+1\\s");
            assertThat(karaf.execute("aranya:device " + tcpDevice)).contains("Transport:     tcp")
                    .containsPattern("Connected\\s+True").contains("Node ready:    True").contains("Session:       tcp from");
            String token = karaf.execute("aranya:deviceToken " + tcpDevice);
            assertThat(token).contains("Bootstrap token of device " + ns + "/" + tcpDevice + " (works once, until ");
            try (var kube = controlPlane.client(ns)) {
                var secret = kube.secrets().withName(tcpDevice + "-bootstrap-token").get();
                assertThat(secret).as("the token's Secret").isNotNull();
                String stored = new String(java.util.Base64.getDecoder().decode(secret.getData().get("token")),
                        java.nio.charset.StandardCharsets.UTF_8);
                assertThat(token).as("the token printed once is the one stored").contains("\n" + stored + "\n");
            }
        } finally {
            for (String node : List.of(tcpDevice, mqttDevice)) {
                controlPlane.kubectl(null, "delete", "node", node, "--ignore-not-found");
            }
        }
    }

    private static String readyStatus(ControlPlane controlPlane, String node) {
        try (var kube = controlPlane.client("default")) {
            return Nodes.readyStatus(kube, node).orElse("none");
        }
    }

    private static void awaitReady(ControlPlane controlPlane, KarafDistribution karaf, String node, int seconds,
            DistributionProcess agent) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if ("True".equals(readyStatus(controlPlane, node))) {
                return;
            }
            Thread.sleep(1000);
        }
        String controller = karaf.log().lines().filter(line -> line.contains("dev.aranya.controller"))
                .collect(Collectors.joining("\n"));
        throw new AssertionError("Node " + node + " not Ready within " + seconds + " s\n--- karaf.log ---\n"
                + karaf.logTail() + "\n--- karaf.log, the controller's lines ---\n"
                + DistributionProcess.tail(controller, 40) + "\n--- agent ---\n" + DistributionProcess.tail(agent.output(), 10));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
