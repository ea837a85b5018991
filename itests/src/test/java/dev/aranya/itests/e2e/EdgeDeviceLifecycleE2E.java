package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.Nodes;
import dev.aranya.itests.support.AranyaOverTcp;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.DistributionProcess;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
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

/**
 * The whole chain as a user meets it: the Aranya distribution and the arhat agent as separate processes, the agent
 * dialing Aranya's TCP transport with its device certificate, the real control plane and the real kubectl. One
 * device goes through its life: created, online, used with kubectl, its agent killed and restarted, deleted.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeDeviceLifecycleE2E {
    private static final String DEVICE = "lifecycle-e2e-dev";

    private ControlPlane controlPlane;
    private TestNamespace namespace;
    private KubernetesClient kube;
    private AranyaOverTcp chain;
    private DistributionProcess aranya;
    private DistributionProcess agent;

    @BeforeAll
    void startAranyaAndAgent(ControlPlane controlPlane, TestNamespace namespace, @TempDir Path work) throws Exception {
        this.controlPlane = controlPlane;
        this.namespace = namespace;
        this.kube = namespace.client();
        chain = AranyaOverTcp.configure(controlPlane, namespace, work, DEVICE,
                Map.of("kubeletPortMin", 20350, "kubeletPortMax", 20399, "offlineGraceSeconds", 5),
                Map.of("reconnectInitialMillis", 200, "reconnectMaxMillis", 2000));
        aranya = chain.aranya().start();
        agent = chain.agent();
        controlPlane.kubectl("""
                apiVersion: aranya.arhat.dev/v1alpha1
                kind: EdgeDevice
                metadata:
                  name: %s
                spec:
                  connectivity:
                    method: tcp
                  node:
                    labels:
                      example.com/site: lab
                """.formatted(DEVICE), "-n", namespace.name(), "apply", "-f", "-").orThrow("kubectl apply EdgeDevice");
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (agent != null) {
            agent.stop();
        }
        if (aranya != null) {
            aranya.stop();
        }
        if (kube != null) {
            kube.nodes().withName(DEVICE).delete();
        }
    }

    @Test
    @Order(1)
    void anEdgeDeviceBecomesATaintedNodeAndARunningVirtualPod() {
        // the kubelet port is in the Node's status once the endpoint serves it
        Node node = await("Node " + DEVICE + " with its kubelet port", () -> Optional.ofNullable(kube.nodes().withName(DEVICE).get())
                .filter(n -> n.getStatus() != null && n.getStatus().getDaemonEndpoints() != null
                        && n.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort() > 0), 90);

        assertThat(node.getSpec().getTaints()).anySatisfy(taint -> {
            assertThat(taint.getKey()).isEqualTo("arhat.dev/namespace");
            assertThat(taint.getValue()).isEqualTo(namespace.name());
            assertThat(taint.getEffect()).isEqualTo("NoSchedule");
        });
        assertThat(node.getMetadata().getLabels()).containsEntry("example.com/site", "lab")
                .containsEntry("arhat.dev/role", "Node").containsEntry("arhat.dev/namespace", namespace.name());
        assertThat(node.getSpec().getProviderID()).isEqualTo("aranya://" + namespace.name() + "/" + DEVICE);
        assertThat(node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort()).isBetween(20350, 20399);
        assertThat(node.getStatus().getAddresses()).isNotEmpty();

        Pod pod = await("virtual pod Running", () -> Optional.ofNullable(kube.pods().withName(DEVICE).get())
                .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())), 60);
        assertThat(pod.getSpec().getNodeName()).isEqualTo(DEVICE);
        assertThat(pod.getSpec().getContainers()).extracting(c -> c.getName()).contains("host");
    }

    @Test
    @Order(2)
    void theNodeIsReadyWhileTheAgentIsConnectedWithWhatTheAgentReported() throws Exception {
        agent.start();

        awaitReady("True", 90);
        Node node = kube.nodes().withName(DEVICE).get();
        assertThat(node.getStatus().getNodeInfo().getKernelVersion()).isEqualTo(run("uname", "-r").strip());
        assertThat(node.getStatus().getNodeInfo().getArchitecture()).isNotBlank();
        String apiserverVersion = kube.getKubernetesVersion().getGitVersion();
        assertThat(node.getStatus().getNodeInfo().getKubeletVersion()).isEqualTo(apiserverVersion);
        assertThat(controlPlane.kubectl(null, "get", "nodes", DEVICE).orThrow("kubectl get nodes").stdout())
                .containsPattern(DEVICE + "\\s+Ready\\s+.*" + java.util.regex.Pattern.quote(apiserverVersion));
    }

    @Test
    @Order(3)
    void kubectlExecRunsOnTheDeviceHostAndPassesItsExitCode() {
        ControlPlane.Result exec = controlPlane.kubectlOnceKubeletServes(60, null, "-n", namespace.name(), "exec", DEVICE, "--",
                "sh", "-c", "echo on-$(hostname); exit 3");

        assertThat(exec.exitCode()).as(exec.stderr()).isEqualTo(3);
        assertThat(exec.stdout()).isEqualTo("on-" + run("hostname").strip() + "\n");
    }

    @Test
    @Order(3)
    void kubectlAttachTypesIntoTheDevicesConsole() {
        // typed at once, before the agent has started the console's shell: nothing may be lost
        ControlPlane.Result attach = controlPlane.kubectl("echo attached-$((6*7))\nexit 0\n", "-n", namespace.name(),
                "attach", "-i", DEVICE, "-c", "host");

        assertThat(attach.exitCode()).as(attach.stderr()).isZero();
        assertThat(attach.stdout()).contains("attached-42");
    }

    @Test
    @Order(4)
    void kubectlLogsReadsTheDeviceLog() {
        ControlPlane.Result logs = controlPlane.kubectl(null, "-n", namespace.name(), "logs", "--tail", "5", DEVICE);

        assertThat(logs.exitCode()).as(logs.stderr()).isZero();
        assertThat(logs.stdout().lines().count()).isBetween(1L, 5L);
    }

    @Test
    @Order(4)
    void aranyasMetricsAndReadinessShowTheConnectedDevice() throws Exception {
        Matcher endpoint = Pattern.compile("Metrics and health endpoint on http://([^/]+)/").matcher(aranya.output());
        assertThat(endpoint.find()).as("the endpoint's log line").isTrue();
        HttpClient http = HttpClient.newHttpClient();
        URI base = URI.create("http://" + endpoint.group(1));

        String metrics = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        String ns = "namespace=\"" + namespace.name() + "\"";
        assertThat(metrics).contains("aranya_leader{" + ns + "} 1\n")
                .contains("aranya_devices{" + ns + "} 1\n")
                .contains("aranya_devices_online{" + ns + ",transport=\"tcp\"} 1\n")
                .contains("aranya_sessions{transport=\"tcp\"} 1\n")
                .containsPattern("aranya_reconciles_total\\{" + ns + ",outcome=\"success\"\\} [1-9]")
                .containsPattern("aranya_node_certificate_expiry_timestamp_seconds\\{node=\"" + DEVICE + "\"\\} \\d+");
        assertThat(http.send(HttpRequest.newBuilder(base.resolve("/readyz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(5)
    void killingTheAgentMakesTheNodeNotReadyAndRestartingItMakesItReadyAgain() throws Exception {
        agent.kill();
        awaitReady("Unknown|False", 60);

        agent.start();
        awaitReady("True", 90);
    }

    @Test
    @Order(6)
    void deletingTheEdgeDeviceRemovesItsNodeAndVirtualPod() {
        controlPlane.kubectl(null, "-n", namespace.name(), "delete", "edgedevice", DEVICE, "--wait=true",
                "--timeout=90s").orThrow("kubectl delete EdgeDevice");

        await("Node gone", () -> kube.nodes().withName(DEVICE).get() == null ? Optional.of(true) : Optional.empty(), 60);
        await("virtual pod gone", () -> kube.pods().withName(DEVICE).get() == null ? Optional.of(true) : Optional.empty(), 60);
    }

    private void awaitReady(String statusPattern, int seconds) {
        await("Node Ready " + statusPattern, () -> Nodes.readyStatus(kube, DEVICE)
                .filter(s -> s.matches(statusPattern)), seconds);
    }

    private <T> T await(String what, Supplier<Optional<T>> probe, int seconds) {
        return chain.await(what, probe, seconds);
    }

    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
