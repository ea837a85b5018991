package dev.aranya.certs.internal;

import static dev.aranya.certs.internal.CertificationRequestsTest.host;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.transport.DeviceId;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The CSR Aranya submits, and what it reports for each way the cluster answers. */
class ClusterSignerTest {
    private static final DeviceId DEVICE = new DeviceId("edge", "pi");
    private final NodeIdentity identity = NodeIdentity.of("pi", null, host("host-a", "192.0.2.1"));
    private final KeyPair keys = KeyType.ECDSA.generate(0);
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    /** An apiserver in memory: keeps the one CSR, and lets the test play signer and approver. */
    private static final class FakeCsrs implements CsrApi {
        CertificateSigningRequest stored;
        final List<CertificateSigningRequestCondition> approvals = new ArrayList<>();
        KubernetesClientException createFailure;
        KubernetesClientException approveFailure;
        /** What the signer does to the CSR after the approval, on each read. */
        UnaryOperator<CertificateSigningRequest> signer = csr -> csr;

        @Override
        public synchronized CertificateSigningRequest create(CertificateSigningRequest request) {
            if (createFailure != null) {
                throw createFailure;
            }
            request.getMetadata().setName(request.getMetadata().getGenerateName() + "x7k2q");
            stored = request;
            return request;
        }

        @Override
        public synchronized void approve(String name, CertificateSigningRequestCondition approval) {
            if (approveFailure != null) {
                throw approveFailure;
            }
            approvals.add(approval);
            stored.setStatus(new CertificateSigningRequestStatusBuilder().addToConditions(approval).build());
        }

        @Override
        public synchronized CertificateSigningRequest get(String name) {
            return stored == null || !stored.getMetadata().getName().equals(name) ? null : signer.apply(stored);
        }
    }

    private ClusterSigner signer(FakeCsrs csrs, boolean autoApprove, Duration timeout) {
        return new ClusterSigner(csrs, executor, Clock.systemUTC(), new ClusterSigner.Settings(timeout, Duration.ofMillis(20), autoApprove, Duration.ZERO));
    }

    /** Signs the CSR as kube-controller-manager would, once approved: the certificate (base64 PEM) in the status. */
    private static UnaryOperator<CertificateSigningRequest> signsWhenApproved() {
        return csr -> {
            if (csr.getStatus() != null && csr.getStatus().getCertificate() == null) {
                PKCS10CertificationRequest request = request(csr);
                try {
                    JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(request);
                    X509Certificate certificate = NodeIdentityTest.CA.issue(request.getSubject(), null, jca.getPublicKey(),
                            Duration.ofHours(1), KeyPurposeId.id_kp_serverAuth);
                    csr.getStatus().setCertificate(Base64.getEncoder().encodeToString(Pem.encode(certificate).getBytes(StandardCharsets.US_ASCII)));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            return csr;
        };
    }

    static PKCS10CertificationRequest request(CertificateSigningRequest csr) {
        String pem = new String(Base64.getDecoder().decode(csr.getSpec().getRequest()), StandardCharsets.US_ASCII);
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            return (PKCS10CertificationRequest) parser.readObject();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void csrAsksTheKubeletServingSignerForAServingCertificateAndIsApprovedByAranya() throws Exception {
        FakeCsrs csrs = new FakeCsrs();
        csrs.signer = signsWhenApproved();

        Issued issued = signer(csrs, true, Duration.ofSeconds(5)).sign(DEVICE, identity, keys).get(5, TimeUnit.SECONDS);

        CertificateSigningRequest csr = csrs.stored;
        assertThat(csr.getMetadata().getName()).isEqualTo("pi-kubelet-serving-x7k2q");
        assertThat(csr.getMetadata().getLabels()).containsEntry("arhat.dev/role", "NodeCertificate")
                .containsEntry("arhat.dev/namespace", "edge").containsEntry("arhat.dev/name", "pi");
        assertThat(csr.getSpec().getSignerName()).isEqualTo("kubernetes.io/kubelet-serving");
        assertThat(csr.getSpec().getUsages()).containsExactly("digital signature", "key encipherment", "server auth");
        assertThat(csr.getSpec().getExpirationSeconds()).isNull();
        assertThat(request(csr).getSubject().toString()).isEqualTo("O=system:nodes,CN=system:node:pi");
        assertThat(CertificationRequestsTest.sans(request(csr))).containsExactly("dns:host-a", "ip:192.0.2.1");
        assertThat(csrs.approvals).singleElement().satisfies(approval -> {
            assertThat(approval.getType()).isEqualTo("Approved");
            assertThat(approval.getStatus()).isEqualTo("True");
            assertThat(approval.getMessage()).isEqualTo("Aranya approved the serving certificate of EdgeDevice edge/pi");
        });
        assertThat(issued.chain().get(0).getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(issued.issuer()).isEqualTo("kubernetes.io/kubelet-serving");
        assertThat(issued.origin()).isEqualTo("pi-kubelet-serving-x7k2q");
    }

    @Test
    void requestedValidityGoesIntoExpirationSeconds() throws Exception {
        FakeCsrs csrs = new FakeCsrs();
        csrs.signer = signsWhenApproved();
        ClusterSigner signer = new ClusterSigner(csrs, executor, Clock.systemUTC(),
                new ClusterSigner.Settings(Duration.ofSeconds(5), Duration.ofMillis(20), true, Duration.ofHours(2)));

        signer.sign(DEVICE, identity, keys).get(5, TimeUnit.SECONDS);

        assertThat(csrs.stored.getSpec().getExpirationSeconds()).isEqualTo(7200);
    }

    @Test
    void deniedCsrIsReportedWithTheDeniersReason() {
        FakeCsrs csrs = new FakeCsrs();
        csrs.signer = csr -> {
            csr.getStatus().getConditions().add(condition("Denied", "NotOurDevice", "pi is not in the inventory"));
            return csr;
        };

        assertFailure(signer(csrs, true, Duration.ofSeconds(5)), IssueFailure.Reason.DENIED,
                "CSR pi-kubelet-serving-x7k2q was denied: NotOurDevice pi is not in the inventory");
    }

    @Test
    void signerFailureIsReported() {
        FakeCsrs csrs = new FakeCsrs();
        csrs.signer = csr -> {
            csr.getStatus().getConditions().add(condition("Failed", "SignerValidationFailure", "subject organization is not system:nodes"));
            return csr;
        };

        assertFailure(signer(csrs, true, Duration.ofSeconds(5)), IssueFailure.Reason.SIGNER_FAILED,
                "the signer kubernetes.io/kubelet-serving refused CSR pi-kubelet-serving-x7k2q: SignerValidationFailure subject organization is not system:nodes");
    }

    @Test
    void approvedButUnsignedCsrTimesOutNamingTheMissingSigner() {
        assertFailure(signer(new FakeCsrs(), true, Duration.ofMillis(300)), IssueFailure.Reason.NOT_SIGNED,
                "CSR pi-kubelet-serving-x7k2q was approved but not signed within 0 s: no signer for kubernetes.io/kubelet-serving "
                        + "is running (kube-controller-manager signs it when it has --cluster-signing-cert-file and --cluster-signing-key-file)");
    }

    @Test
    void forbiddenApprovalWaitsForAnAdministratorAndThenSaysWhatToGrant() {
        FakeCsrs csrs = new FakeCsrs();
        csrs.approveFailure = new KubernetesClientException(new StatusBuilder().withCode(403)
                .withMessage("certificatesigningrequests.certificates.k8s.io \"x\" is forbidden: user not permitted to approve requests with signerName \"kubernetes.io/kubelet-serving\"").build());

        assertFailure(signer(csrs, true, Duration.ofMillis(300)), IssueFailure.Reason.NOT_APPROVED,
                "CSR pi-kubelet-serving-x7k2q was not approved within 0 s: Aranya may not approve it (grant update on "
                        + "certificatesigningrequests/approval and approve on signers kubernetes.io/kubelet-serving): "
                        + "certificatesigningrequests.certificates.k8s.io \"x\" is forbidden: user not permitted to approve requests with signerName \"kubernetes.io/kubelet-serving\"");
    }

    @Test
    void withoutAutomaticApprovalAnAdministratorsApprovalIsWaitedFor() throws Exception {
        FakeCsrs csrs = new FakeCsrs();
        UnaryOperator<CertificateSigningRequest> signs = signsWhenApproved();
        csrs.signer = csr -> {
            // the administrator runs 'kubectl certificate approve' while Aranya waits
            if (csr.getStatus() == null) {
                csr.setStatus(new CertificateSigningRequestStatusBuilder().addToConditions(condition("Approved", "KubectlApprove", "")).build());
                return csr;
            }
            return signs.apply(csr);
        };

        Issued issued = signer(csrs, false, Duration.ofSeconds(5)).sign(DEVICE, identity, keys).get(5, TimeUnit.SECONDS);

        assertThat(csrs.approvals).isEmpty();
        assertThat(issued.chain()).hasSize(1);
    }

    @Test
    void forbiddenCsrCreationSaysWhatToGrant() {
        FakeCsrs csrs = new FakeCsrs();
        csrs.createFailure = new KubernetesClientException(new StatusBuilder().withCode(403).withMessage("forbidden: no create").build());

        assertFailure(signer(csrs, true, Duration.ofSeconds(5)), IssueFailure.Reason.FORBIDDEN,
                "Aranya may not create CertificateSigningRequests (grant create/get on certificates.k8s.io "
                        + "certificatesigningrequests, see docs/certificates.md): forbidden: no create");
    }

    @Test
    void certificateForAnotherKeyIsRefused() {
        FakeCsrs csrs = new FakeCsrs();
        X509Certificate foreign = NodeIdentityTest.certificateFor(identity, KeyType.ECDSA.generate(0), Duration.ofHours(1));
        csrs.signer = csr -> {
            csr.getStatus().setCertificate(Base64.getEncoder().encodeToString(Pem.encode(foreign).getBytes(StandardCharsets.US_ASCII)));
            return csr;
        };

        assertFailure(signer(csrs, true, Duration.ofSeconds(5)), IssueFailure.Reason.BAD_CERTIFICATE,
                "the certificate in CSR pi-kubelet-serving-x7k2q is not for the key it requested");
    }

    @Test
    void certificateThatHasExpiredAlreadyIsRefusedNamingTheSigningDuration() {
        FakeCsrs csrs = new FakeCsrs();
        csrs.signer = signsWhenApproved();
        // two hours on, the signer's one-hour certificate is what a too short --cluster-signing-duration gives
        ClusterSigner signer = new ClusterSigner(csrs, executor, Clock.offset(Clock.systemUTC(), Duration.ofHours(2)),
                new ClusterSigner.Settings(Duration.ofSeconds(5), Duration.ofMillis(20), true, Duration.ZERO));

        assertThatThrownBy(() -> signer.sign(DEVICE, identity, keys).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(IssueFailure.class,
                        failure -> assertThat(failure.reason()).isEqualTo(IssueFailure.Reason.BAD_CERTIFICATE))
                .hasMessageStartingWith("the signer kubernetes.io/kubelet-serving issued CSR pi-kubelet-serving-x7k2q a "
                        + "certificate that has expired already (valid from ")
                .hasMessageContaining("--cluster-signing-duration, is too short");
    }

    private void assertFailure(ClusterSigner signer, IssueFailure.Reason reason, String message) {
        assertThatThrownBy(() -> signer.sign(DEVICE, identity, keys).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(IssueFailure.class, failure -> assertThat(failure.reason()).isEqualTo(reason))
                .hasMessage(message);
    }

    private static CertificateSigningRequestCondition condition(String type, String reason, String message) {
        return new CertificateSigningRequestConditionBuilder().withType(type).withStatus("True").withReason(reason).withMessage(message).build();
    }
}
