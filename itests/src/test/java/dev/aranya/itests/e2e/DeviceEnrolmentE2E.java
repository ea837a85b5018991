package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.Nodes;
import dev.aranya.itests.support.Polling;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.DevicePki;
import dev.aranya.itests.support.DistributionProcess;
import dev.aranya.itests.support.EdgeDeviceManifests;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
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
 * Device identities as an operator meets them: Aranya's tcp transport has no CA file, so it trusts the device CA of
 * aranya-certs; the operator makes a bootstrap token Secret with kubectl and gives the agent only that token. The
 * agent enrols, becomes a Ready Node and serves kubectl exec; the token does not work twice; a certificate of another
 * CA is refused; deleting the device's identity Secret revokes its certificate and ends its connection.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeviceEnrolmentE2E {
    private static final String DEVICE = "enrol-e2e-dev";

    private ControlPlane controlPlane;
    private TestNamespace namespace;
    private KubernetesClient kube;
    private Path work;
    private DevicePki pki;
    private int port;
    private Path tokenFile;
    private DistributionProcess aranya;
    private DistributionProcess agent;
    private DistributionProcess other;

    @BeforeAll
    void startAranya(ControlPlane controlPlane, TestNamespace namespace, @TempDir Path work) throws Exception {
        this.controlPlane = controlPlane;
        this.namespace = namespace;
        this.kube = namespace.client();
        this.work = work;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        pki = DevicePki.create(work.resolve("pki"), "127.0.0.1", "localhost");
        aranya = DistributionProcess.copy("aranya", work, "enrol-aranya")
                .configure("dev.aranya.kube", Map.of("kubeconfig", controlPlane.kubeconfig(), "namespace", namespace.name()))
                .configure("dev.aranya.observability", Map.of("bindAddress", "127.0.0.1", "port", 0))
                .configure("dev.aranya.transport.tcp", Map.of("bindAddress", "127.0.0.1", "port", port,
                        "tlsCertificate", pki.serverCertificate(), "tlsKey", pki.serverKey()))
                .configure("dev.aranya.controller", Map.of("kubeletPortMin", 20550, "kubeletPortMax", 20599, "offlineGraceSeconds", 5))
                .start();
        controlPlane.kubectl(EdgeDeviceManifests.served(DEVICE, "tcp"), "-n", namespace.name(), "apply", "-f", "-").orThrow("kubectl apply EdgeDevice");
        controlPlane.kubectl(null, "-n", namespace.name(), "create", "secret", "generic", DEVICE + "-bootstrap-token",
                "--from-literal=token=e2e-0ne-time-t0ken").orThrow("kubectl create secret (the bootstrap token)");
        tokenFile = work.resolve("token");
        Files.writeString(tokenFile, "e2e-0ne-time-t0ken\n");
    }

    private DistributionProcess agent(String suffix, Map<String, Object> link) throws Exception {
        Map<String, Object> settings = new HashMap<>(Map.of("deviceNamespace", namespace.name(), "deviceName", DEVICE,
                "method", "tcp", "link.host", "127.0.0.1", "link.port", port, "link.caCertificate", pki.ca(),
                "logSource", "file:log/arhat.log", "reconnectInitialMillis", 200, "reconnectMaxMillis", 2000));
        settings.putAll(link);
        return DistributionProcess.copy("arhat", work, suffix).configure("dev.aranya.arhat", settings);
    }

    @AfterAll
    void stop() throws InterruptedException {
        for (DistributionProcess process : new DistributionProcess[] {other, agent, aranya}) {
            if (process != null) {
                process.stop();
            }
        }
        if (kube != null) {
            kube.nodes().withName(DEVICE).delete();
        }
    }

    @Test
    @Order(1)
    void anAgentWithOnlyABootstrapTokenEnrolsBecomesAReadyNodeAndServesExec() throws Exception {
        agent = agent(DEVICE, Map.of("link.bootstrapTokenFile", tokenFile)).start();

        awaitReady("True", 120);
        ControlPlane.Result exec = controlPlane.kubectlOnceKubeletServes(60, null, "-n", namespace.name(), "exec", DEVICE,
                "--", "sh", "-c", "echo enrolled; exit 4");
        assertThat(exec.exitCode()).as(exec.stderr()).isEqualTo(4);
        assertThat(exec.stdout()).isEqualTo("enrolled\n");
        Path identity = agent.home().resolve("data/device-identity");
        assertThat(Files.getPosixFilePermissions(identity.resolve("tls.key"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(agent.output()).contains("Enrolled as device " + namespace.name() + "/" + DEVICE);
        assertThat(controlPlane.kubectl(null, "-n", namespace.name(), "get", "secret", DEVICE + "-bootstrap-token").stderr()).contains("NotFound");
        assertThat(aranya.output()).doesNotContain("e2e-0ne-time-t0ken");
        assertThat(agent.output()).doesNotContain("e2e-0ne-time-t0ken");
    }

    @Test
    @Order(2)
    void theTokenDoesNotWorkASecondTime() throws Exception {
        other = agent(DEVICE + "-again", Map.of("link.bootstrapTokenFile", tokenFile)).start();

        other.awaitOutput("the second enrolment refused", out -> out.contains("Aranya refused the enrolment of device "
                + namespace.name() + "/" + DEVICE + " (ERROR_CODE_UNAUTHENTICATED): device " + namespace.name() + "/" + DEVICE
                + " has no bootstrap token"), 90);
        assertThat(other.home().resolve("data/device-identity/tls.crt")).doesNotExist();
        other.stop();
        other = null;
    }

    @Test
    @Order(3)
    void anAgentWithACertificateOfAnotherCaIsRefused() throws Exception {
        DevicePki foreign = DevicePki.create(work.resolve("foreign-pki"), "127.0.0.1");
        Path[] certificate = foreign.device(namespace.name(), DEVICE);
        other = agent(DEVICE + "-foreign", Map.of("link.certificate", certificate[0], "link.key", certificate[1])).start();

        // the agent's TLS offers only certificates of the issuers Aranya names, so it arrives without one
        other.awaitOutput("the foreign certificate refused", out -> out.contains("Aranya refused the hello (ERROR_CODE_UNAUTHENTICATED): "
                + "the agent presented no certificate issued by the device CA"), 90);
        assertThat(aranya.output()).contains("Refused the enrolment from /127.0.0.1");
        other.stop();
        other = null;
        awaitReady("True", 30); // the enrolled agent was not disturbed
    }

    @Test
    @Order(4)
    void deletingTheDevicesIdentitySecretEndsItsConnectionAndRefusesItsCertificate() throws Exception {
        awaitReady("True", 30);

        controlPlane.kubectl(null, "-n", namespace.name(), "delete", "secret", DEVICE + "-device-identity").orThrow("revoking");

        // the connected agent is cut off at once and, reconnecting, refused
        agent.awaitOutput("the revoked certificate refused", out -> out.contains("ERROR_CODE_UNAUTHENTICATED")
                && out.contains("is revoked"), 60);
        assertThat(aranya.output()).contains("Ending the connection of " + namespace.name() + "/" + DEVICE + ": device "
                + namespace.name() + "/" + DEVICE + " was revoked (its identity Secret " + DEVICE + "-device-identity was deleted)")
                .contains("Refused the certificate CN=" + DEVICE);
        awaitReady("Unknown|False", 60);
    }

    private void awaitReady(String statusPattern, int seconds) {
        await("Node Ready " + statusPattern, () -> Nodes.readyStatus(kube, DEVICE)
                .filter(s -> s.matches(statusPattern)), seconds);
    }

    private <T> T await(String what, Supplier<Optional<T>> probe, int seconds) {
        return Polling.await(what, probe, seconds, () -> "--- aranya ---\n" + DistributionProcess.tail(aranya.output(), 60)
                + "\n--- agent ---\n" + (agent == null ? "" : DistributionProcess.tail(agent.output(), 30)));
    }
}
