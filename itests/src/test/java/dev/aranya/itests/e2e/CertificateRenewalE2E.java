package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.AranyaOverTcp;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.EchoServer;
import dev.aranya.itests.support.EdgeDeviceManifests;
import dev.aranya.itests.support.KubectlPortForward;
import dev.aranya.itests.support.Nodes;
import dev.aranya.itests.support.PacedTransfer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renewal of a Node's kubelet-serving certificate as a user meets it. The test's own control plane signs for
 * {@link #SIGNING_DURATION} (kube-controller-manager {@code --cluster-signing-duration}). The 1.20 signer dates
 * certificates 5 minutes back, so a certificate is valid for 3 minutes from its issue, and Aranya, renewing at 80 %
 * of the lifetime, renews it 84 s after its issue. Meanwhile a {@code kubectl port-forward} carries a paced echo
 * transfer, and the device's kubelet port is asked for its certificate every half second.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CertificateRenewalE2E {
    private static final String DEVICE = "renewal-e2e-dev";
    private static final String NAMESPACE = "renewal-e2e";
    private static final Duration SIGNING_DURATION = Duration.ofMinutes(8);

    private ControlPlane controlPlane;
    private KubernetesClient kube;
    private AranyaOverTcp chain;
    private EchoServer echo;

    @BeforeAll
    void startControlPlaneAranyaAndAgent(@TempDir Path work) throws Exception {
        controlPlane = ControlPlane.dedicated(work.resolve("controlplane"),
                Map.of("ARANYA_CP_SIGNING_DURATION", SIGNING_DURATION.toMinutes() + "m"));
        controlPlane.installEdgeDeviceCrd();
        kube = controlPlane.client(NAMESPACE);
        kube.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
        echo = EchoServer.start();
        chain = AranyaOverTcp.configure(controlPlane, new TestNamespace(NAMESPACE, kube), work, DEVICE,
                Map.of("kubeletPortMin", 22900, "kubeletPortMax", 22949),
                Map.of("reconnectInitialMillis", 200, "reconnectMaxMillis", 2000));
        chain.aranya().start();
        chain.agent().start();
        controlPlane.kubectl(EdgeDeviceManifests.served(DEVICE, "tcp"), "-n", NAMESPACE, "apply", "-f", "-").orThrow("kubectl apply EdgeDevice");
    }

    @AfterAll
    void stop() throws Exception {
        if (chain != null) {
            chain.stop();
        }
        if (echo != null) {
            echo.close();
        }
        if (kube != null) {
            kube.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    @Test
    void theServingCertificateRenewsBeforeItExpiresWhileAPortForwardStaysOpen() throws Exception {
        Node node = chain.await("Node " + DEVICE + " Ready", () -> Optional.ofNullable(kube.nodes().withName(DEVICE).get())
                .filter(n -> Nodes.readyStatus(n).filter("True"::equals).isPresent()), 300);
        int kubeletPort = node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort();
        X509Certificate first = chain.await("the serving certificate in Secret " + DEVICE + "-kubelet-tls",
                this::storedCertificate, 60);
        assertThat(Duration.between(first.getNotBefore().toInstant(), first.getNotAfter().toInstant()))
                .as("the lifetime the cluster signs for").isEqualTo(SIGNING_DURATION);

        try (ServedCertificates served = ServedCertificates.watch(kubeletPort, controlPlane.clusterCa())) {
            chain.await("the kubelet port presenting the first certificate",
                    () -> served.latest().filter(first::equals), 30);
            // the apiserver accepts the first certificate: exec before the renewal works
            ControlPlane.Result before = kubectl("exec", DEVICE, "--", "echo", "before-renewal");
            assertThat(before.exitCode()).as(before.stderr()).isZero();
            assertThat(before.stdout()).isEqualTo("before-renewal\n");

            X509Certificate renewed;
            try (KubectlPortForward forward = KubectlPortForward.start(Path.of("kubectl"), controlPlane.kubeconfig(),
                    NAMESPACE, DEVICE, echo.port());
                    PacedTransfer transfer = PacedTransfer.start(forward.localPort())) {
                int untilExpiry = (int) Duration.between(Instant.now(), first.getNotAfter().toInstant()).toSeconds();
                renewed = chain.await("a renewed certificate in the Secret before the first expires",
                        () -> running(transfer, storedCertificate().filter(c -> !c.equals(first))), untilExpiry);
                chain.await("the kubelet port presenting the renewed certificate",
                        () -> running(transfer, served.latest().filter(renewed::equals)), 30);
                long echoedAtSwap = transfer.echoedSoFar();
                chain.await("the transfer moving on after the swap", () -> running(transfer,
                        Optional.of(transfer.echoedSoFar()).filter(echoed -> echoed > echoedAtSwap + (1 << 20))), 60);

                PacedTransfer.Outcome outcome = transfer.finish();
                assertThat(outcome.bytes()).as("bytes echoed through the port-forward").isGreaterThan(echoedAtSwap);
                assertThat(outcome.receivedSha256()).isEqualTo(outcome.sentSha256());
                assertThat(forward.output()).doesNotContain("error");
            }
            assertRenewal(first, renewed);

            // new connections, on which the apiserver verifies the renewed certificate
            ControlPlane.Result logs = kubectl("logs", "--tail", "5", DEVICE);
            assertThat(logs.exitCode()).as(logs.stderr()).isZero();
            assertThat(logs.stdout().lines().count()).isBetween(1L, 5L);
            ControlPlane.Result exec = kubectl("exec", DEVICE, "--", "sh", "-c", "echo after-renewal; exit 3");
            assertThat(exec.exitCode()).as(exec.stderr()).isEqualTo(3);
            assertThat(exec.stdout()).isEqualTo("after-renewal\n");

            served.close();
            assertServedInTime(served.observations(), first, renewed);
        }
    }

    /** The renewed certificate: signed by the cluster for the same Node, later expiry, through a second approved CSR. */
    private void assertRenewal(X509Certificate first, X509Certificate renewed) throws GeneralSecurityException {
        X509Certificate clusterCa = controlPlane.clusterCa();
        renewed.verify(clusterCa.getPublicKey());
        assertThat(renewed.getSubjectX500Principal()).isEqualTo(first.getSubjectX500Principal());
        assertThat(renewed.getSubjectAlternativeNames()).containsExactlyInAnyOrderElementsOf(first.getSubjectAlternativeNames());
        assertThat(renewed.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
        assertThat(renewed.getPublicKey()).as("a new key").isNotEqualTo(first.getPublicKey());
        assertThat(renewed.getNotAfter()).isAfter(first.getNotAfter());

        List<CertificateSigningRequest> csrs = kube.certificates().v1().certificateSigningRequests()
                .withLabel("arhat.dev/name", DEVICE).list().getItems().stream()
                .sorted(Comparator.comparing(csr -> csr.getMetadata().getCreationTimestamp())).toList();
        assertThat(csrs).as("kubelet-serving CSRs of Node %s", DEVICE).hasSize(2);
        for (CertificateSigningRequest csr : csrs) {
            assertThat(csr.getSpec().getSignerName()).isEqualTo("kubernetes.io/kubelet-serving");
            assertThat(csr.getSpec().getUsername()).as("requested by Aranya").isNotBlank();
            assertThat(csr.getStatus().getConditions())
                    .anySatisfy(c -> assertThat(List.of(c.getType(), c.getStatus())).containsExactly("Approved", "True"));
        }
        assertThat(firstCertificate(csrs.get(0).getStatus().getCertificate())).isEqualTo(first);
        assertThat(firstCertificate(csrs.get(1).getStatus().getCertificate())).isEqualTo(renewed);
    }

    /** Every certificate the port presented was valid at that moment; the swap was one-way, before the first expired. */
    private static void assertServedInTime(List<Observation> observations, X509Certificate first, X509Certificate renewed) {
        assertThat(observations).as("handshakes with the kubelet port").hasSizeGreaterThan(50);
        assertThat(observations).allSatisfy(o -> {
            assertThat(o.failure()).as("handshake at %s", o.at()).isNull();
            assertThat(o.leaf().getNotAfter().toInstant()).as("expiry of what was presented at %s", o.at()).isAfter(o.at());
        });
        List<BigInteger> serials = observations.stream().map(o -> o.leaf().getSerialNumber()).distinct().toList();
        assertThat(serials).containsExactly(first.getSerialNumber(), renewed.getSerialNumber());
        Observation swap = observations.stream().filter(o -> o.leaf().equals(renewed)).findFirst().orElseThrow();
        assertThat(observations.subList(observations.indexOf(swap), observations.size()))
                .as("no handshake after the swap presents the first certificate").allMatch(o -> o.leaf().equals(renewed));
        assertThat(swap.at()).isBefore(first.getNotAfter().toInstant());
    }

    /** The probe's value, unless the transfer has broken: then the wait ends at once with its failure. */
    private static <T> Optional<T> running(PacedTransfer transfer, Optional<T> probe) {
        transfer.assertRunning();
        return probe;
    }

    private Optional<X509Certificate> storedCertificate() {
        Secret secret = kube.secrets().withName(DEVICE + "-kubelet-tls").get();
        return secret == null || secret.getData() == null || secret.getData().get("tls.crt") == null ? Optional.empty()
                : Optional.of(firstCertificate(secret.getData().get("tls.crt")));
    }

    private static X509Certificate firstCertificate(String base64Pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Base64.getDecoder().decode(base64Pem))).iterator().next();
        } catch (CertificateException e) {
            throw new AssertionError("not a PEM certificate chain: " + e.getMessage(), e);
        }
    }

    private ControlPlane.Result kubectl(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-n";
        all[1] = NAMESPACE;
        System.arraycopy(args, 0, all, 2, args.length);
        return controlPlane.kubectl(null, all);
    }

    /**
     * One TLS handshake with the kubelet port: when, what it presented, and why the handshake failed, if it did
     * (the chain is checked against the cluster CA, so an expired certificate fails it).
     */
    record Observation(Instant at, X509Certificate leaf, String failure) {
    }

    /** Handshakes with a kubelet port every half second, as the apiserver would, and keeps what each saw. */
    private static final class ServedCertificates implements AutoCloseable {
        private final int port;
        private final SSLContext tls;
        private final List<Observation> observations = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile X509Certificate presented;
        private volatile boolean watching = true;

        private ServedCertificates(int port, X509Certificate clusterCa) throws GeneralSecurityException, IOException {
            this.port = port;
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("cluster-ca", clusterCa);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            X509TrustManager verifier = (X509TrustManager) factory.getTrustManagers()[0];
            this.tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    throw new CertificateException("a client only");
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    presented = chain[0]; // kept even when the check below fails
                    verifier.checkServerTrusted(chain, authType);
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return verifier.getAcceptedIssuers();
                }
            }}, null);
            this.thread = new Thread(this::watch, "served-certificates");
            thread.setDaemon(true);
        }

        static ServedCertificates watch(int port, X509Certificate clusterCa) throws GeneralSecurityException, IOException {
            ServedCertificates served = new ServedCertificates(port, clusterCa);
            served.thread.start();
            return served;
        }

        private void watch() {
            while (watching) {
                Instant at = Instant.now();
                presented = null;
                String failure = null;
                try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    socket.setSoTimeout(5000);
                    socket.startHandshake();
                } catch (IOException e) {
                    failure = e.toString();
                }
                if (presented != null || failure != null) {
                    observations.add(new Observation(at, presented, failure));
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** What the latest handshake presented, if it succeeded. */
        Optional<X509Certificate> latest() {
            return observations.isEmpty() ? Optional.empty() : Optional.of(observations.get(observations.size() - 1))
                    .filter(o -> o.failure() == null).map(Observation::leaf);
        }

        List<Observation> observations() {
            return List.copyOf(observations);
        }

        @Override
        public void close() throws InterruptedException {
            watching = false;
            thread.interrupt();
            thread.join(10_000);
        }
    }
}
