package dev.aranya.certs.internal;

import static dev.aranya.certs.internal.IssueFailure.Reason.API_ERROR;
import static dev.aranya.certs.internal.IssueFailure.Reason.BAD_CERTIFICATE;
import static dev.aranya.certs.internal.IssueFailure.Reason.DENIED;
import static dev.aranya.certs.internal.IssueFailure.Reason.FORBIDDEN;
import static dev.aranya.certs.internal.IssueFailure.Reason.NOT_APPROVED;
import static dev.aranya.certs.internal.IssueFailure.Reason.NOT_SIGNED;
import static dev.aranya.certs.internal.IssueFailure.Reason.NO_CSR_API;
import static dev.aranya.certs.internal.IssueFailure.Reason.SIGNER_FAILED;

import dev.aranya.api.transport.DeviceId;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Has the cluster sign a serving certificate: creates a {@code certificates.k8s.io/v1} CSR for the signer
 * {@value #SIGNER_NAME}, approves it (as a kubelet's CSR approver would), and polls until the signer has put the
 * certificate in its status, the CSR is denied or fails, or the timeout passes. CSRs are left for the
 * controller-manager's CSR cleaner (it deletes issued ones after an hour), so {@code kubectl get csr} tells the story.
 */
final class ClusterSigner {
    static final String SIGNER_NAME = "kubernetes.io/kubelet-serving";
    /** What a serving certificate is for; the signer also accepts these without key encipherment for ECDSA keys. */
    static final List<String> USAGES = List.of("digital signature", "key encipherment", "server auth");

    private static final Logger LOG = LoggerFactory.getLogger(ClusterSigner.class);

    private final CsrApi api;
    private final ScheduledExecutorService executor;
    private final Clock clock;
    private final Settings settings;

    /**
     * @param timeout           how long to wait for approval and signature
     * @param pollInterval      how often to look at the CSR meanwhile
     * @param autoApprove       approve our own CSRs; otherwise wait for {@code kubectl certificate approve}
     * @param requestedValidity asked of the signer ({@code spec.expirationSeconds}, Kubernetes 1.22+; older
     *                          apiservers drop it); zero: the signer's default
     */
    record Settings(Duration timeout, Duration pollInterval, boolean autoApprove, Duration requestedValidity) {
    }

    ClusterSigner(CsrApi api, ScheduledExecutorService executor, Clock clock, Settings settings) {
        this.api = api;
        this.executor = executor;
        this.clock = clock;
        this.settings = settings;
    }

    /** Completes with the chain, or exceptionally with an {@link IssueFailure}. */
    CompletableFuture<Issued> sign(DeviceId device, NodeIdentity identity, KeyPair keys) {
        CompletableFuture<Issued> result = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                String name = submit(device, identity, keys);
                String approvalProblem = settings.autoApprove() ? approve(device, name) : "automatic approval is off";
                Instant deadline = clock.instant().plus(settings.timeout());
                poll(name, keys, deadline, approvalProblem, result);
            } catch (IssueFailure failure) {
                result.completeExceptionally(failure);
            } catch (RuntimeException e) {
                result.completeExceptionally(new IssueFailure(API_ERROR, "requesting a serving certificate failed: " + e, e));
            } catch (Error e) {
                // the caller waits on the result: it must hear of this too
                result.completeExceptionally(e);
                throw e;
            }
        });
        return result;
    }

    private String submit(DeviceId device, NodeIdentity identity, KeyPair keys) throws IssueFailure {
        String request = Pem.encode(CertificationRequests.create(identity, keys));
        CertificateSigningRequestBuilder csr = new CertificateSigningRequestBuilder()
                .withNewMetadata()
                    .withGenerateName(identity.nodeName() + "-kubelet-serving-")
                    .withLabels(Labels.forDevice(device, Labels.ROLE_NODE_CERTIFICATE))
                .endMetadata()
                .withNewSpec()
                    .withSignerName(SIGNER_NAME)
                    .withUsages(USAGES)
                    .withRequest(Base64.getEncoder().encodeToString(request.getBytes(StandardCharsets.US_ASCII)))
                .endSpec();
        if (!settings.requestedValidity().isZero()) {
            csr.editSpec().withExpirationSeconds((int) settings.requestedValidity().toSeconds()).endSpec();
        }
        try {
            String name = api.create(csr.build()).getMetadata().getName();
            LOG.info("Requested a serving certificate for Node {} (EdgeDevice {}): CSR {}, subject {}, SANs {}",
                    identity.nodeName(), device, name, identity.subject(), identity.sans());
            return name;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                throw new IssueFailure(FORBIDDEN, "Aranya may not create CertificateSigningRequests (grant create/get on "
                        + "certificates.k8s.io certificatesigningrequests, see docs/certificates.md): " + message(e), e);
            }
            if (e.getCode() == 404) {
                throw new IssueFailure(NO_CSR_API, "the cluster serves no certificates.k8s.io/v1 API (Kubernetes 1.19 or newer is needed)", e);
            }
            throw new IssueFailure(API_ERROR, "creating a CertificateSigningRequest failed: " + message(e), e);
        }
    }

    /** @return why the approval did not happen, or null when it did */
    private String approve(DeviceId device, String name) {
        CertificateSigningRequestCondition approval = new CertificateSigningRequestConditionBuilder()
                .withType("Approved").withStatus("True").withReason("AranyaApproved")
                .withMessage("Aranya approved the serving certificate of EdgeDevice " + device)
                .build();
        try {
            api.approve(name, approval);
            return null;
        } catch (KubernetesClientException e) {
            // someone may still approve it by hand within the timeout
            String problem = e.getCode() == 403
                    ? "Aranya may not approve it (grant update on certificatesigningrequests/approval and approve on "
                            + "signers " + SIGNER_NAME + "): " + message(e)
                    : "approving it failed: " + message(e);
            LOG.warn("CSR {}: {}; waiting for an approval by hand ('kubectl certificate approve {}')", name, problem, name);
            return problem;
        }
    }

    private void poll(String name, KeyPair keys, Instant deadline, String approvalProblem, CompletableFuture<Issued> result) {
        if (result.isDone()) {
            return;
        }
        try {
            CertificateSigningRequest csr = api.get(name);
            if (csr == null) {
                throw new IssueFailure(NOT_SIGNED, "CSR " + name + " was deleted before it was signed");
            }
            String certificate = csr.getStatus() == null ? null : csr.getStatus().getCertificate();
            if (certificate != null && !certificate.isEmpty()) {
                result.complete(new Issued(chain(name, certificate, keys, clock.instant()), SIGNER_NAME, name));
                return;
            }
            boolean approved = false;
            for (CertificateSigningRequestCondition condition : csr.getStatus() == null ? List.<CertificateSigningRequestCondition>of()
                    : csr.getStatus().getConditions()) {
                if (!"True".equalsIgnoreCase(condition.getStatus()) && condition.getStatus() != null) {
                    continue;
                }
                switch (condition.getType()) {
                    case "Denied" -> throw new IssueFailure(DENIED, "CSR " + name + " was denied" + because(condition));
                    case "Failed" -> throw new IssueFailure(SIGNER_FAILED, "the signer " + SIGNER_NAME + " refused CSR " + name + because(condition));
                    case "Approved" -> approved = true;
                    default -> { }
                }
            }
            if (!clock.instant().isBefore(deadline)) {
                throw approved
                        ? new IssueFailure(NOT_SIGNED, "CSR " + name + " was approved but not signed within " + seconds(settings.timeout())
                                + ": no signer for " + SIGNER_NAME + " is running (kube-controller-manager signs it when it has "
                                + "--cluster-signing-cert-file and --cluster-signing-key-file)")
                        : new IssueFailure(NOT_APPROVED, "CSR " + name + " was not approved within " + seconds(settings.timeout())
                                + (approvalProblem == null ? "" : ": " + approvalProblem));
            }
        } catch (IssueFailure failure) {
            result.completeExceptionally(failure);
            return;
        } catch (KubernetesClientException e) {
            // a blip of the apiserver: look again until the deadline
            LOG.debug("Reading CSR {} failed: {}", name, message(e));
            if (!clock.instant().isBefore(deadline)) {
                result.completeExceptionally(new IssueFailure(API_ERROR, "reading CSR " + name + " failed: " + message(e), e));
                return;
            }
        }
        executor.schedule(() -> poll(name, keys, deadline, approvalProblem, result),
                settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    private static List<X509Certificate> chain(String name, String base64Pem, KeyPair keys, Instant now) throws IssueFailure {
        try {
            List<X509Certificate> chain = Pem.certificates(new String(Base64.getDecoder().decode(base64Pem), StandardCharsets.US_ASCII));
            X509Certificate leaf = chain.get(0);
            if (!leaf.getPublicKey().equals(keys.getPublic())) {
                throw new IssueFailure(BAD_CERTIFICATE, "the certificate in CSR " + name + " is not for the key it requested");
            }
            // served, it would fail every apiserver connection; kept out, the current certificate stays and retries back off
            if (!leaf.getNotAfter().toInstant().isAfter(now)) {
                throw new IssueFailure(BAD_CERTIFICATE, "the signer " + SIGNER_NAME + " issued CSR " + name
                        + " a certificate that has expired already (valid from " + leaf.getNotBefore().toInstant() + " until "
                        + leaf.getNotAfter().toInstant() + "): its lifetime, kube-controller-manager's --cluster-signing-duration, "
                        + "is too short; before Kubernetes 1.22 the signer dates certificates 5 minutes back, so the lifetime "
                        + "must be well above 5 minutes");
            }
            return chain;
        } catch (CertificateException | IllegalArgumentException e) {
            throw new IssueFailure(BAD_CERTIFICATE, "the certificate in CSR " + name + " does not parse: " + e.getMessage(), e);
        }
    }

    private static String because(CertificateSigningRequestCondition condition) {
        String reason = condition.getReason() == null ? "" : condition.getReason();
        String message = condition.getMessage() == null ? "" : condition.getMessage();
        return reason.isEmpty() && message.isEmpty() ? "" : ": " + String.join(" ", reason, message).trim();
    }

    private static String seconds(Duration duration) {
        return duration.toSeconds() + " s";
    }

    static String message(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : String.valueOf(e.getMessage());
    }
}
