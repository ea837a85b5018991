package dev.aranya.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.certs.NodeCertificates.ServingCertificate;
import dev.aranya.api.metrics.MetricsWriter;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Node serving certificates against the real control plane: kube-controller-manager signs the CSRs of the
 * {@code kubernetes.io/kubelet-serving} signer with the cluster CA once Aranya has approved them.
 */
@ExtendWith(ControlPlaneExtension.class)
class NodeCertificatesE2E {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static X509Certificate clusterCa;

    private final List<NodeCertificateService> services = new ArrayList<>();

    @BeforeAll
    static void readClusterCaAndInstallCrd(ControlPlane controlPlane) {
        clusterCa = controlPlane.clusterCa();
        controlPlane.installEdgeDeviceCrd();
    }

    @AfterAll
    static void deleteCsrs(TestNamespace namespace) {
        namespace.client().certificates().v1().certificateSigningRequests().withLabel("arhat.dev/namespace", namespace.name()).delete();
    }

    @AfterEach
    void stopServices() {
        services.forEach(NodeCertificateService::deactivate);
    }

    private NodeCertificateService service(KubernetesClient client, TestHost host, Settings settings) {
        NodeCertificateService service = new NodeCertificateService(client, host, settings, Clock.systemUTC());
        services.add(service);
        return service;
    }

    private static Settings clusterSigned() {
        return settings(true, Duration.ofSeconds(60), false, Duration.ofDays(365), 80, Duration.ofSeconds(30));
    }

    private static Settings settings(boolean autoApprove, Duration timeout, boolean fallback, Duration ownCaLeafValidity, int renewAtPercent,
                                     Duration retry) {
        return new Settings(KeyType.ECDSA, 2048, new ClusterSigner.Settings(timeout, Duration.ofMillis(250), autoApprove, Duration.ZERO),
                renewAtPercent, retry, fallback, "aranya-kubelet-serving-ca", Duration.ofDays(3650), ownCaLeafValidity);
    }

    /** A device name no other test run uses: its Node and CSRs are cluster-wide. */
    private static DeviceId device(TestNamespace namespace, String prefix) {
        return new DeviceId(namespace.name(), prefix + "-" + UUID.randomUUID().toString().substring(0, 6));
    }

    private static ServingCertificate await(java.util.concurrent.CompletionStage<ServingCertificate> stage) throws Exception {
        return stage.toCompletableFuture().get(90, TimeUnit.SECONDS);
    }

    private static List<CertificateSigningRequest> csrsOf(TestNamespace namespace, DeviceId device) {
        return namespace.client().certificates().v1().certificateSigningRequests()
                .withLabels(Map.of("arhat.dev/namespace", device.namespace(), "arhat.dev/name", device.name())).list().getItems();
    }

    private static void createEdgeDevice(ControlPlane controlPlane, TestNamespace namespace, DeviceId device, String moreSpec) {
        String yaml = "apiVersion: aranya.arhat.dev/v1alpha1\nkind: EdgeDevice\nmetadata: {name: " + device.name() + "}\n"
                + "spec:\n  connectivity: {method: tcp}\n" + (moreSpec.isEmpty() ? "" : "  " + moreSpec + "\n");
        controlPlane.kubectl(yaml, "apply", "-n", namespace.name(), "-f", "-").orThrow("creating EdgeDevice " + device.name());
    }

    private static X509Certificate storedLeaf(TestNamespace namespace, DeviceId device) throws Exception {
        Secret secret = namespace.client().secrets().withName(device.name() + "-kubelet-tls").get();
        assertThat(secret).as("Secret %s-kubelet-tls", device.name()).isNotNull();
        return TlsSecrets.read(secret).leaf();
    }

    @Test
    void newDeviceGetsAClusterSignedServingCertificateAndARestartReusesIt(ControlPlane controlPlane, TestNamespace namespace) throws Exception {
        DeviceId device = device(namespace, "pi");
        createEdgeDevice(controlPlane, namespace, device, "node: {cert: {country: DE, orgUnit: field-devices}}");
        TestHost host = new TestHost("aranya-e2e-host", "127.0.0.1", "::1");

        ServingCertificate issued = await(service(namespace.client(), host, clusterSigned()).ensure(device, device.name()));

        X509Certificate leaf = issued.chain().get(0);
        assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=system:node:" + device.name() + ",OU=field-devices,O=system:nodes,C=DE");
        assertThat(leaf.getSubjectAlternativeNames()).extracting(san -> san.get(1).toString())
                .containsExactlyInAnyOrder("aranya-e2e-host", "127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(leaf.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
        assertThat(leaf.getPublicKey().getAlgorithm()).isEqualTo("EC");
        leaf.verify(clusterCa.getPublicKey());
        assertThat(leaf.getIssuerX500Principal()).isEqualTo(clusterCa.getSubjectX500Principal());

        Secret secret = namespace.client().secrets().withName(device.name() + "-kubelet-tls").get();
        assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
        assertThat(secret.getMetadata().getLabels()).containsEntry("arhat.dev/role", "NodeCertificate").containsEntry("arhat.dev/name", device.name());
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getKind()).isEqualTo("EdgeDevice");
            assertThat(owner.getName()).isEqualTo(device.name());
        });
        assertThat(storedLeaf(namespace, device)).isEqualTo(leaf);
        ControlPlane.Result csrs = controlPlane.kubectl(null, "get", "csr", "-l", "arhat.dev/name=" + device.name());
        assertThat(csrs.stdout()).contains(device.name() + "-kubelet-serving-").contains("kubernetes.io/kubelet-serving").contains("Approved,Issued");
        assertThat(csrsOf(namespace, device)).hasSize(1);

        // Aranya restarts: a new service finds the certificate in the Secret and requests none
        services.remove(0).deactivate();
        NodeCertificateService restarted = service(namespace.client(), host, clusterSigned());
        ServingCertificate reused = await(restarted.ensure(device, device.name()));

        assertThat(reused.chain().get(0)).isEqualTo(leaf);
        assertThat(reused.key()).isEqualTo(issued.key());
        assertThat(restarted.current(device.name())).hasValueSatisfying(current -> assertThat(current.chain().get(0)).isEqualTo(leaf));
        assertThat(csrsOf(namespace, device)).hasSize(1);

        // the expiry is a metric, for alerts on renewals that did not happen
        Map<String, Double> expiries = new HashMap<>();
        restarted.collect(new MetricsWriter() {
            @Override
            public void gauge(String name, String help, Map<String, String> labels, double value) {
                expiries.put(name + labels, value);
            }

            @Override
            public void counter(String name, String help, Map<String, String> labels, double value) {
                throw new AssertionError("no counters expected: " + name);
            }
        });
        assertThat(expiries).containsEntry("aranya_node_certificate_expiry_timestamp_seconds{node=" + device.name() + "}",
                (double) leaf.getNotAfter().toInstant().getEpochSecond());
    }

    @Test
    void deletingTheEdgeDeviceDeletesItsKeyAndReleaseDeletesItToo(ControlPlane controlPlane, TestNamespace namespace) throws Exception {
        DeviceId owned = device(namespace, "owned");
        createEdgeDevice(controlPlane, namespace, owned, "");
        DeviceId released = device(namespace, "released");
        NodeCertificateService service = service(namespace.client(), new TestHost("aranya-e2e-host", "127.0.0.1"), clusterSigned());
        await(service.ensure(owned, owned.name()));
        await(service.ensure(released, released.name()));

        controlPlane.kubectl(null, "delete", "edgedevice", owned.name(), "-n", namespace.name()).orThrow("deleting the EdgeDevice");
        service.release(released, true);

        // the garbage collector deletes the owned Secret; release deletes the other one
        namespace.client().secrets().withName(owned.name() + "-kubelet-tls").waitUntilCondition(secret -> secret == null, 60, TimeUnit.SECONDS);
        namespace.client().secrets().withName(released.name() + "-kubelet-tls").waitUntilCondition(secret -> secret == null, 30, TimeUnit.SECONDS);
        assertThat(service.current(released.name())).isEmpty();
    }

    @Test
    void changedHostAddressesReissueTheCertificateWithTheNewSans(TestNamespace namespace) throws Exception {
        DeviceId device = device(namespace, "mover");
        TestHost host = new TestHost("aranya-e2e-host", "127.0.0.1");
        NodeCertificateService service = service(namespace.client(), host, clusterSigned());
        X509Certificate first = await(service.ensure(device, device.name())).chain().get(0);
        BlockingQueue<ServingCertificate> issued = new LinkedBlockingQueue<>();
        service.onIssued(issued::add);

        host.change("aranya-e2e-host-2", "127.0.0.1", "127.0.0.2");

        ServingCertificate reissued = issued.poll(90, TimeUnit.SECONDS);
        assertThat(reissued).as("a new certificate after the host's addresses changed").isNotNull();
        X509Certificate leaf = reissued.chain().get(0);
        assertThat(leaf.getSubjectAlternativeNames()).extracting(san -> san.get(1).toString())
                .containsExactlyInAnyOrder("aranya-e2e-host-2", "127.0.0.1", "127.0.0.2");
        leaf.verify(clusterCa.getPublicKey());
        assertThat(leaf.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
        assertThat(storedLeaf(namespace, device)).isEqualTo(leaf);
        assertThat(service.current(device.name())).hasValueSatisfying(current -> assertThat(current.chain().get(0)).isEqualTo(leaf));
        assertThat(csrsOf(namespace, device)).hasSize(2);
    }

    @Test
    void csrDeniedByAnAdministratorIsReportedWithTheReason(TestNamespace namespace) throws Exception {
        DeviceId device = device(namespace, "denied");
        NodeCertificateService service = service(namespace.client(), new TestHost("aranya-e2e-host", "127.0.0.1"),
                settings(false, Duration.ofSeconds(60), false, Duration.ofDays(365), 80, Duration.ofSeconds(30)));

        var result = service.ensure(device, device.name()).toCompletableFuture();
        CertificateSigningRequest csr = awaitCsr(namespace, device);
        namespace.client().certificates().v1().certificateSigningRequests().withName(csr.getMetadata().getName())
                .deny(new CertificateSigningRequestConditionBuilder().withType("Denied").withStatus("True")
                        .withReason("NotInInventory").withMessage("this device is unknown").build());

        assertThatThrownBy(() -> result.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().hasMessage("CSR " + csr.getMetadata().getName() + " was denied: NotInInventory this device is unknown");
        assertThat(namespace.client().secrets().withName(device.name() + "-kubelet-tls").get()).isNull();
    }

    @Test
    void withTheFallbackOnAnUnsignedCsrGetsACertificateFromAranyasOwnCaThatIsRenewedBeforeItExpires(TestNamespace namespace) throws Exception {
        DeviceId device = device(namespace, "fallback");
        // nobody approves (automatic approval off), so the cluster never signs; certificates of 20 s renew at half time
        NodeCertificateService service = service(namespace.client(), new TestHost("aranya-e2e-host", "127.0.0.1"),
                settings(false, Duration.ofSeconds(2), true, Duration.ofSeconds(20), 50, Duration.ofSeconds(1)));
        BlockingQueue<ServingCertificate> issued = new LinkedBlockingQueue<>();
        service.onIssued(issued::add);

        X509Certificate first = await(service.ensure(device, device.name())).chain().get(0);

        Secret caSecret = namespace.client().secrets().withName("aranya-kubelet-serving-ca").get();
        assertThat(caSecret).as("Aranya's own CA Secret").isNotNull();
        X509Certificate ownCa = TlsSecrets.read(caSecret).leaf();
        first.verify(ownCa.getPublicKey());
        assertThat(first.getSubjectX500Principal().getName()).isEqualTo("CN=system:node:" + device.name() + ",O=system:nodes");
        assertThat(namespace.client().secrets().withName(device.name() + "-kubelet-tls").get().getMetadata().getAnnotations())
                .containsEntry("aranya.arhat.dev/issuer", "aranya-own-ca");
        assertThat(issued.poll(5, TimeUnit.SECONDS)).extracting(c -> c.chain().get(0)).isEqualTo(first);

        ServingCertificate renewed = issued.poll(40, TimeUnit.SECONDS);

        assertThat(renewed).as("a renewed certificate").isNotNull();
        X509Certificate second = renewed.chain().get(0);
        assertThat(second.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
        assertThat(java.time.Instant.now()).isBefore(first.getNotAfter().toInstant());
        second.verify(ownCa.getPublicKey());
        assertThat(storedLeaf(namespace, device)).isEqualTo(second);
    }

    @Test
    void serviceAccountWithTheRbacOfTheDocsGetsItsCertificate(ControlPlane controlPlane, TestNamespace namespace) throws Exception {
        String docs = Files.readString(Path.of(System.getProperty("aranya.repo.dir", "."), "docs/certificates.md"));
        String rbac = docs.substring(docs.indexOf("```yaml", docs.indexOf("## RBAC")) + "```yaml".length());
        rbac = rbac.substring(0, rbac.indexOf("```")).replace("aranya-system", namespace.name());
        controlPlane.kubectl(null, "create", "serviceaccount", "aranya", "-n", namespace.name()).orThrow("creating the service account");
        controlPlane.kubectl(rbac, "apply", "-f", "-").orThrow("applying the RBAC of docs/certificates.md");
        DeviceId device = device(namespace, "rbac");

        try (KubernetesClient aranya = impersonating(controlPlane, namespace, "aranya")) {
            ServingCertificate issued = await(service(aranya, new TestHost("aranya-e2e-host", "127.0.0.1"), clusterSigned())
                    .ensure(device, device.name()));

            issued.chain().get(0).verify(clusterCa.getPublicKey());
            assertThat(storedLeaf(namespace, device)).isEqualTo(issued.chain().get(0));
        } finally {
            controlPlane.kubectl(null, "delete", "clusterrolebinding", "aranya-node-certificates:" + namespace.name());
        }
    }

    @Test
    void serviceAccountThatMayNotApproveIsToldWhatToGrant(ControlPlane controlPlane, TestNamespace namespace) throws Exception {
        String name = "no-approve-" + namespace.name();
        controlPlane.kubectl(null, "create", "serviceaccount", "no-approve", "-n", namespace.name()).orThrow("creating the service account");
        controlPlane.kubectl(null, "create", "clusterrole", name, "--verb=create,get", "--resource=certificatesigningrequests.certificates.k8s.io")
                .orThrow("creating the cluster role");
        controlPlane.kubectl(null, "create", "clusterrolebinding", name, "--clusterrole=" + name,
                "--serviceaccount=" + namespace.name() + ":no-approve").orThrow("binding the cluster role");
        controlPlane.kubectl(null, "create", "rolebinding", "no-approve", "-n", namespace.name(), "--clusterrole=admin",
                "--serviceaccount=" + namespace.name() + ":no-approve").orThrow("binding the namespace role");
        DeviceId device = device(namespace, "unapproved");

        try (KubernetesClient aranya = impersonating(controlPlane, namespace, "no-approve")) {
            var result = service(aranya, new TestHost("aranya-e2e-host", "127.0.0.1"),
                    settings(true, Duration.ofSeconds(3), false, Duration.ofDays(365), 80, Duration.ofSeconds(30)))
                    .ensure(device, device.name()).toCompletableFuture();

            assertThatThrownBy(() -> result.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).cause()
                    .hasMessageStartingWith("CSR " + device.name() + "-kubelet-serving-")
                    .hasMessageContaining("was not approved within 3 s: Aranya may not approve it (grant update on "
                            + "certificatesigningrequests/approval and approve on signers kubernetes.io/kubelet-serving)")
                    .hasMessageContaining("forbidden");
        } finally {
            controlPlane.kubectl(null, "delete", "clusterrolebinding,clusterrole", name);
        }
    }

    /** A client that acts as the namespace's service account, as Aranya in a Pod does. */
    private static KubernetesClient impersonating(ControlPlane controlPlane, TestNamespace namespace, String serviceAccount) throws Exception {
        Config config = Config.fromKubeconfig(null, Files.readString(controlPlane.kubeconfig()), controlPlane.kubeconfig().toString());
        config.setNamespace(namespace.name());
        config.setImpersonateUsername("system:serviceaccount:" + namespace.name() + ":" + serviceAccount);
        config.setImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + namespace.name(), "system:authenticated");
        return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
    }

    private static CertificateSigningRequest awaitCsr(TestNamespace namespace, DeviceId device) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            List<CertificateSigningRequest> csrs = csrsOf(namespace, device);
            if (!csrs.isEmpty()) {
                return csrs.get(0);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no CSR for " + device);
    }
}
