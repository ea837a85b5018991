package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.Aranya;
import dev.aranya.itests.support.AranyaOverTcp;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.DistributionProcess;
import dev.aranya.itests.support.EdgeDeviceManifests;
import dev.aranya.itests.support.Nodes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane goes away under a running Aranya: etcd, kube-apiserver and kube-controller-manager (a control
 * plane of this test's own) are stopped for half a minute while two agents stay connected over TCP, then started
 * again. What an operator checks afterwards: Aranya still runs and leads, the Nodes are Ready and their node Leases
 * renewed, nothing is duplicated or lost, the kubelet ports are the same, {@code kubectl exec} works, a new
 * EdgeDevice is served (the watches are back), and Aranya's log says what happened in a few clear lines.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControlPlaneRestartE2E {
    private static final List<String> DEVICES = List.of("restart-e2e-a", "restart-e2e-b");
    private static final String LATE_DEVICE = "restart-e2e-c";
    private static final String NAMESPACE = "restart-e2e";
    private static final Duration OUTAGE = Duration.ofSeconds(30);
    /** Aranya's default election lease: after it, another instance could take the lead */
    private static final Duration ELECTION_LEASE = Duration.ofSeconds(15);
    private static final Pattern AGENT_CONNECTED = Pattern.compile("Connected to Aranya over tcp");

    private ControlPlane controlPlane;
    private KubernetesClient kube;
    private AranyaOverTcp chain;
    private DistributionProcess aranya;
    private final Map<String, DistributionProcess> agents = new LinkedHashMap<>();

    // what the cluster and Aranya showed before the outage, and when the control plane was back
    private Map<String, String> nodeUids;
    private Map<String, Integer> kubeletPorts;
    private int outputBeforeOutage;
    private Instant restarted;

    @BeforeAll
    void startControlPlaneAranyaAndAgents(@TempDir Path work) throws Exception {
        controlPlane = ControlPlane.dedicated(work.resolve("controlplane"), Map.of());
        controlPlane.installEdgeDeviceCrd();
        kube = controlPlane.client(NAMESPACE);
        kube.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
        Map<String, Object> arhat = Map.of("reconnectInitialMillis", 200, "reconnectMaxMillis", 2000);
        chain = AranyaOverTcp.configure(controlPlane, new TestNamespace(NAMESPACE, kube), work, DEVICES.get(0),
                Map.of("kubeletPortMin", 22350, "kubeletPortMax", 22399, "offlineGraceSeconds", 5), arhat);
        aranya = chain.aranya().start();
        agents.put(DEVICES.get(0), chain.agent());
        agents.put(DEVICES.get(1), chain.addAgent(DEVICES.get(1), arhat));
        agents.put(LATE_DEVICE, chain.addAgent(LATE_DEVICE, arhat));
        for (String device : DEVICES) {
            createEdgeDevice(device);
            agents.get(device).start();
        }
    }

    @AfterAll
    void stop() throws InterruptedException {
        for (DistributionProcess agent : agents.values()) {
            agent.stop();
        }
        if (aranya != null) {
            aranya.stop();
        }
        if (kube != null) {
            kube.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    @Test
    @Order(1)
    void bothDevicesAreReadyNodesBeforeTheOutage() {
        for (String device : DEVICES) {
            awaitReadyWithKubeletPort(device, 240);
        }
        nodeUids = perDevice(device -> kube.nodes().withName(device).get().getMetadata().getUid());
        kubeletPorts = perDevice(ControlPlaneRestartE2E.this::kubeletPort);
    }

    @Test
    @Order(2)
    void aranyaOutlivesAHalfMinuteWithoutControlPlaneAndItsNodesAreReadyWithinAMinute() throws Exception {
        outputBeforeOutage = aranya.output().length();
        String leaderMetric = "aranya_leader{namespace=\"" + NAMESPACE + "\"} ";
        assertThat(metrics()).contains(leaderMetric + "1\n");
        long stopped = System.nanoTime();
        Duration leaderUntil = null;
        controlPlane.stop();
        long outageEnds = System.nanoTime() + OUTAGE.toNanos();
        while (System.nanoTime() < outageEnds) {
            assertThat(aranya.alive()).as("Aranya runs while the control plane is down").isTrue();
            if (leaderUntil == null && metrics().contains(leaderMetric + "0\n")) {
                leaderUntil = Duration.ofNanos(System.nanoTime() - stopped);
            }
            Thread.sleep(500);
        }
        assertThat(leaderUntil).as("Aranya stops leading before its election Lease could expire for others")
                .isNotNull().isLessThan(ELECTION_LEASE);
        controlPlane.start();
        restarted = Instant.now();

        assertThat(aranya.alive()).isTrue();
        for (String device : DEVICES) {
            chain.await("Node " + device + " Ready with its node Lease renewed after the restart", () -> {
                Lease lease = kube.leases().inNamespace("kube-node-lease").withName(device).get();
                boolean renewed = lease != null && lease.getSpec().getRenewTime() != null
                        && lease.getSpec().getRenewTime().toInstant().isAfter(restarted);
                return renewed && Nodes.readyStatus(kube, device).filter("True"::equals).isPresent() ? Optional.of(true) : Optional.empty();
            }, 60);
        }
    }

    @Test
    @Order(3)
    void theAgentsKeptTheirSessionsThroughTheOutage() {
        agents.forEach((device, agent) -> {
            if (DEVICES.contains(device)) {
                assertThat(AGENT_CONNECTED.matcher(agent.output()).results().count())
                        .as("connections of %s's agent", device).isEqualTo(1);
            }
        });
    }

    @Test
    @Order(3)
    void nothingIsDuplicatedOrLostAndTheKubeletPortsStayTheSame() {
        assertThat(names(kube.nodes().withLabel(Aranya.LABEL_NAMESPACE, NAMESPACE).list().getItems())).isEqualTo(DEVICES);
        assertThat(perDevice(device -> kube.nodes().withName(device).get().getMetadata().getUid())).isEqualTo(nodeUids);
        assertThat(names(kube.leases().inNamespace("kube-node-lease").withLabel(Aranya.LABEL_NAMESPACE, NAMESPACE).list().getItems()))
                .isEqualTo(DEVICES);
        assertThat(names(kube.pods().inNamespace(NAMESPACE).withLabel(Aranya.LABEL_ROLE, "VirtualPod").list().getItems()))
                .isEqualTo(DEVICES);
        assertThat(perDevice(this::kubeletPort)).isEqualTo(kubeletPorts);
    }

    @Test
    @Order(3)
    void aranyaLeadsAgainAsTheOnlyHolderOfTheLeaderLease() throws Exception {
        String output = aranya.output();
        Matcher leads = Pattern.compile("'([^']+)' leads namespace '" + NAMESPACE + "' now").matcher(output);
        assertThat(leads.find()).as("Aranya's log says who leads").isTrue();
        String identity = leads.group(1);

        Lease leader = chain.await("the leader Lease held again", () -> Optional.ofNullable(
                kube.leases().inNamespace(NAMESPACE).withName("aranya-leader").get())
                .filter(lease -> lease.getSpec().getRenewTime() != null && lease.getSpec().getRenewTime().toInstant().isAfter(restarted)), 30);
        assertThat(leader.getSpec().getHolderIdentity()).isEqualTo(identity);
        assertThat(kube.leases().inNamespace(NAMESPACE).list().getItems()).extracting(lease -> lease.getMetadata().getName())
                .containsExactly("aranya-leader");
        assertThat(metrics()).contains("aranya_leader{namespace=\"" + NAMESPACE + "\"} 1\n");
    }

    @Test
    @Order(4)
    void kubectlExecReachesADeviceAfterTheRestart() {
        ControlPlane.Result exec = controlPlane.kubectl(null, "-n", NAMESPACE, "exec", DEVICES.get(1), "--",
                "sh", "-c", "echo after-$((40+2)); exit 4");

        assertThat(exec.exitCode()).as(exec.stderr()).isEqualTo(4);
        assertThat(exec.stdout()).isEqualTo("after-42\n");
    }

    @Test
    @Order(4)
    void anEdgeDeviceCreatedAfterTheRestartBecomesAReadyNode() throws Exception {
        createEdgeDevice(LATE_DEVICE);
        agents.get(LATE_DEVICE).start();

        awaitReadyWithKubeletPort(LATE_DEVICE, 90);
        assertThat(kube.pods().inNamespace(NAMESPACE).withName(LATE_DEVICE).get()).as("its virtual pod").isNotNull();
    }

    @Test
    @Order(5)
    void aranyasLogTellsTheOutageAndTheRecoveryInAFewLines() {
        String outage = aranya.output().substring(outputBeforeOutage);

        assertThat(outage).containsOnlyOnce("The Kubernetes apiserver is unreachable")
                .containsOnlyOnce("could not renew Lease " + NAMESPACE + "/aranya-leader")
                .containsOnlyOnce("the 2 devices stay connected")
                .containsOnlyOnce("The Kubernetes apiserver is reachable again")
                .containsOnlyOnce("Leads namespace '" + NAMESPACE + "' again and takes back the 2 devices");
        long stackFrames = outage.lines().filter(line -> line.startsWith("\tat ")).count();
        assertThat(stackFrames).as("stack trace lines logged during and after the outage:\n%s",
                DistributionProcess.tail(outage, 200)).isLessThan(50);
    }

    private void createEdgeDevice(String device) {
        controlPlane.kubectl(EdgeDeviceManifests.served(device, "tcp"), "-n", NAMESPACE, "apply", "-f", "-").orThrow("kubectl apply EdgeDevice " + device);
    }

    private void awaitReadyWithKubeletPort(String device, int seconds) {
        chain.await("Node " + device + " Ready with its kubelet port", () -> Optional.ofNullable(kube.nodes().withName(device).get())
                .filter(node -> Nodes.readyStatus(node).filter("True"::equals).isPresent() && kubeletPort(node) > 0), seconds);
    }

    private int kubeletPort(String device) {
        return kubeletPort(kube.nodes().withName(device).get());
    }

    private static int kubeletPort(Node node) {
        var endpoints = node.getStatus() == null ? null : node.getStatus().getDaemonEndpoints();
        return endpoints == null || endpoints.getKubeletEndpoint() == null ? 0 : endpoints.getKubeletEndpoint().getPort();
    }

    private static <T> Map<String, T> perDevice(Function<String, T> value) {
        Map<String, T> values = new LinkedHashMap<>();
        DEVICES.forEach(device -> values.put(device, value.apply(device)));
        return values;
    }

    private static List<String> names(List<? extends HasMetadata> objects) {
        return objects.stream().map(object -> object.getMetadata().getName()).sorted().toList();
    }

    private String metrics() throws Exception {
        Matcher endpoint = Pattern.compile("Metrics and health endpoint on http://([^/]+)/").matcher(aranya.output());
        assertThat(endpoint.find()).as("the metrics endpoint's log line").isTrue();
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + endpoint.group(1) + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
