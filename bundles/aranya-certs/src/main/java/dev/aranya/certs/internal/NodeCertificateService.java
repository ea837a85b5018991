package dev.aranya.certs.internal;

import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.host.HostAddresses;
import dev.aranya.api.metrics.MetricsSource;
import dev.aranya.api.metrics.MetricsWriter;
import dev.aranya.api.host.HostAddresses.HostIdentity;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.model.NodeSpec.NodeCertSpec;
import dev.aranya.api.transport.DeviceId;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serving certificates of the devices' Nodes. Each device's key and certificate live in the Secret
 * {@code <device>-kubelet-tls} of its namespace and are reused while they serve the host's current names and
 * addresses and are not due for renewal; otherwise a new key is made and the cluster signs a CSR for it (or, opt-in,
 * Aranya's own CA does). Renewal is scheduled at a share of the lifetime, a change of the host's addresses reissues,
 * and every new certificate is handed to the {@link #onIssued} listeners.
 */
@Component(service = {NodeCertificates.class, MetricsSource.class}, configurationPid = CertsConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = CertsConfig.class)
public final class NodeCertificateService implements NodeCertificates, MetricsSource {
    static final String SECRET_SUFFIX = "-kubelet-tls";

    private static final Logger LOG = LoggerFactory.getLogger(NodeCertificateService.class);

    private final KubernetesClient client;
    private final HostAddresses host;
    private final Settings settings;
    private final Clock clock;
    private final ScheduledExecutorService executor;
    private final ClusterSigner clusterSigner;
    private final AutoCloseable hostListener;

    private final Map<DeviceId, Tracked> devices = new HashMap<>();
    private final Map<String, ServingCertificate> byNode = new ConcurrentHashMap<>();
    private final List<Consumer<ServingCertificate>> listeners = new CopyOnWriteArrayList<>();
    /** Aranya's own CA per namespace, loaded on the first fallback. */
    private final Map<String, CertificateAuthority> ownCas = new ConcurrentHashMap<>();

    /** One device whose certificate this service keeps. Guarded by the service's monitor. */
    private static final class Tracked {
        final DeviceId device;
        final String nodeName;
        CompletableFuture<ServingCertificate> inFlight;
        ScheduledFuture<?> renewal;
        int failures;

        Tracked(DeviceId device, String nodeName) {
            this.device = device;
            this.nodeName = nodeName;
        }
    }

    @Activate
    public NodeCertificateService(@Reference KubernetesClient client, @Reference HostAddresses host, CertsConfig config) {
        this(client, host, Settings.from(config), Clock.systemUTC());
    }

    NodeCertificateService(KubernetesClient client, HostAddresses host, Settings settings, Clock clock) {
        this.client = client;
        this.host = host;
        this.settings = settings;
        this.clock = clock;
        this.executor = ClientThreads.executor(client, "aranya-certs", 2);
        this.clusterSigner = new ClusterSigner(CsrApi.of(client), executor, clock, settings.cluster());
        this.hostListener = host.onChange(identity -> executor.execute(() -> hostChanged(identity)));
        LOG.info("Node certificates: {} keys, signer {}, renewal at {}% of the lifetime{}", settings.keyType(),
                ClusterSigner.SIGNER_NAME, settings.renewAtPercent(),
                settings.fallbackToOwnCa() ? ", falling back to the CA in Secret " + settings.ownCaSecret() : "");
    }

    @Deactivate
    void deactivate() {
        try {
            hostListener.close();
        } catch (Exception e) {
            LOG.debug("Closing the host address listener failed", e);
        }
        executor.shutdownNow();
        List<Tracked> stopped;
        synchronized (this) {
            stopped = List.copyOf(devices.values());
            devices.clear();
        }
        IllegalStateException failure = new IllegalStateException("Aranya's certificate service stopped");
        stopped.forEach(tracked -> {
            if (tracked.inFlight != null) {
                tracked.inFlight.completeExceptionally(failure);
            }
        });
    }

    @Override
    public CompletionStage<ServingCertificate> ensure(DeviceId device, String nodeName) {
        if (device == null || nodeName == null || nodeName.isBlank()) {
            return CompletableFuture.failedStage(new IllegalArgumentException("ensure needs a device and a node name, not "
                    + device + " and '" + nodeName + "'"));
        }
        synchronized (this) {
            Tracked tracked = devices.get(device);
            if (tracked != null && !tracked.nodeName.equals(nodeName)) {
                forget(tracked);
                tracked = null;
            }
            if (tracked == null) {
                tracked = new Tracked(device, nodeName);
                devices.put(device, tracked);
            }
            return refresh(tracked, "ensure").minimalCompletionStage();
        }
    }

    @Override
    public void release(DeviceId device, boolean deleteStored) {
        synchronized (this) {
            Tracked tracked = devices.remove(device);
            if (tracked != null) {
                forget(tracked);
            }
        }
        if (deleteStored) {
            executor.execute(() -> {
                try {
                    client.secrets().inNamespace(device.namespace()).withName(secretName(device)).delete();
                    LOG.info("Deleted the serving certificate of EdgeDevice {} (Secret {})", device, secretName(device));
                } catch (KubernetesClientException e) {
                    LOG.warn("Deleting Secret {}/{} failed: {}", device.namespace(), secretName(device), ClusterSigner.message(e));
                }
            });
        }
    }

    @Override
    public Optional<ServingCertificate> current(String nodeName) {
        return Optional.ofNullable(byNode.get(nodeName));
    }

    @Override
    public AutoCloseable onIssued(Consumer<ServingCertificate> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** When each Node's serving certificate expires: alert well before renewal should have replaced it. */
    @Override
    public void collect(MetricsWriter writer) {
        byNode.forEach((node, certificate) -> writer.gauge("aranya_node_certificate_expiry_timestamp_seconds",
                "When the Node's current kubelet serving certificate expires (Unix time)", Map.of("node", node),
                certificate.chain().get(0).getNotAfter().toInstant().getEpochSecond()));
    }

    static String secretName(DeviceId device) {
        return device.name() + SECRET_SUFFIX;
    }

    private void forget(Tracked tracked) {
        if (tracked.renewal != null) {
            tracked.renewal.cancel(false);
        }
        byNode.remove(tracked.nodeName);
    }

    /** Starts a look at the device's certificate, unless one is under way; caller holds the monitor. */
    private CompletableFuture<ServingCertificate> refresh(Tracked tracked, String why) {
        if (tracked.inFlight != null && !tracked.inFlight.isDone()) {
            return tracked.inFlight;
        }
        CompletableFuture<ServingCertificate> result = CompletableFuture.supplyAsync(() -> check(tracked), executor)
                .thenCompose(outcome -> outcome.reusable() != null ? CompletableFuture.completedFuture(outcome.reusable())
                        : issue(tracked, outcome.identity(), outcome.owner()))
                .whenComplete((certificate, failure) -> settled(tracked, certificate, failure, why));
        tracked.inFlight = result;
        return result;
    }

    /** What {@link #check} found: a stored certificate to keep, or the identity to issue one for. */
    private record Checked(ServingCertificate reusable, NodeIdentity identity, OwnerReference owner) {
    }

    /** Reads the device and its Secret; runs on the executor. */
    private Checked check(Tracked tracked) {
        DeviceId device = tracked.device;
        EdgeDevice edgeDevice = EdgeDevices.read(client, device);
        NodeCertSpec subjectFields = edgeDevice == null || edgeDevice.getSpec() == null || edgeDevice.getSpec().node() == null
                ? null : edgeDevice.getSpec().node().cert();
        NodeIdentity identity = NodeIdentity.of(tracked.nodeName, subjectFields, host.current());
        Secret secret;
        try {
            secret = client.secrets().inNamespace(device.namespace()).withName(secretName(device)).get();
        } catch (KubernetesClientException e) {
            throw new CompletionException(new IssueFailure(IssueFailure.Reason.API_ERROR, "reading Secret " + device.namespace() + "/"
                    + secretName(device) + " failed: " + ClusterSigner.message(e), e));
        }
        if (secret != null) {
            try {
                TlsSecrets.Stored stored = TlsSecrets.read(secret);
                Optional<String> problem = replacementReason(stored, identity, settings, clock.instant());
                if (problem.isEmpty()) {
                    return new Checked(new ServingCertificate(tracked.nodeName, stored.key(), stored.chain()), identity, null);
                }
                LOG.info("Replacing the serving certificate of EdgeDevice {}: {}", device, problem.get());
            } catch (CertificateException e) {
                LOG.warn("Replacing the serving certificate of EdgeDevice {}: {}", device, e.getMessage());
            }
        }
        return new Checked(null, identity, EdgeDevices.owner(edgeDevice));
    }

    /** @return why the stored certificate must be replaced, or empty when it can be kept */
    static Optional<String> replacementReason(TlsSecrets.Stored stored, NodeIdentity identity, Settings settings, Instant now) {
        X509Certificate leaf = stored.leaf();
        KeyType keyType = KeyType.of(leaf.getPublicKey());
        if (keyType != settings.keyType()) {
            return Optional.of("its key is " + keyType + ", the configuration asks for " + settings.keyType());
        }
        Optional<String> mismatch = identity.mismatch(leaf);
        if (mismatch.isPresent()) {
            return mismatch;
        }
        Instant renewAt = RenewalTimes.renewAt(leaf, settings.renewAtPercent());
        if (!now.isBefore(renewAt)) {
            return Optional.of("it was due for renewal on " + renewAt + " (expires " + leaf.getNotAfter().toInstant() + ")");
        }
        if (Labels.ISSUER_OWN_CA.equals(stored.annotations().get(Labels.ISSUER)) && !settings.fallbackToOwnCa()) {
            return Optional.of("it was issued by Aranya's own CA, and the fallback to it is off");
        }
        return Optional.empty();
    }

    private CompletableFuture<ServingCertificate> issue(Tracked tracked, NodeIdentity identity, OwnerReference owner) {
        KeyPair keys = settings.keyType().generate(settings.rsaKeyBits());
        return clusterSigner.sign(tracked.device, identity, keys)
                .exceptionallyComposeAsync(failure -> fallback(tracked.device, identity, keys, unwrap(failure)), executor)
                .thenApplyAsync(issued -> store(tracked, issued, keys, owner), executor);
    }

    private CompletableFuture<Issued> fallback(DeviceId device, NodeIdentity identity, KeyPair keys, Throwable failure) {
        boolean clusterDoesNotSign = failure instanceof IssueFailure issueFailure
                && issueFailure.reason() != IssueFailure.Reason.API_ERROR && issueFailure.reason() != IssueFailure.Reason.BAD_CERTIFICATE;
        if (!settings.fallbackToOwnCa() || !clusterDoesNotSign) {
            return CompletableFuture.failedFuture(failure);
        }
        LOG.warn("The cluster did not sign the serving certificate of EdgeDevice {} ({}); issuing it from Aranya's own CA",
                device, failure.getMessage());
        try {
            CertificateAuthority ca = ownCa(device.namespace());
            X509Certificate certificate = ca.issue(identity.subject(), identity.subjectAlternativeNames(), keys.getPublic(),
                    settings.ownCaLeafValidity(), KeyPurposeId.id_kp_serverAuth);
            return CompletableFuture.completedFuture(new Issued(List.of(certificate), Labels.ISSUER_OWN_CA, settings.ownCaSecret()));
        } catch (CertificateException | KubernetesClientException e) {
            return CompletableFuture.failedFuture(new IssueFailure(IssueFailure.Reason.API_ERROR, failure.getMessage()
                    + "; and Aranya's own CA is unusable: " + e.getMessage(), e));
        }
    }

    private CertificateAuthority ownCa(String namespace) throws CertificateException {
        CertificateAuthority ca = ownCas.get(namespace);
        if (ca == null) {
            ca = CaSecrets.loadOrCreate(client, namespace, settings.ownCaSecret(), "aranya kubelet-serving CA (" + namespace + ")",
                    settings.ownCaValidity(), clock);
            ownCas.put(namespace, ca);
        }
        return ca;
    }

    /** Writes the new key and certificate to the device's Secret; runs on the executor. */
    private ServingCertificate store(Tracked tracked, Issued issued, KeyPair keys, OwnerReference owner) {
        DeviceId device = tracked.device;
        Map<String, String> annotations = Map.of(Labels.NODE, tracked.nodeName, Labels.ISSUER, issued.issuer(), Labels.ORIGIN, issued.origin());
        Secret secret = TlsSecrets.create(device.namespace(), secretName(device), Labels.forDevice(device, Labels.ROLE_NODE_CERTIFICATE),
                annotations, owner, keys.getPrivate(), issued.chain());
        try {
            client.secrets().inNamespace(device.namespace()).resource(secret).createOr(NonDeletingOperation::update);
        } catch (KubernetesClientException e) {
            throw new CompletionException(new IssueFailure(IssueFailure.Reason.API_ERROR, "storing the new certificate in Secret "
                    + device.namespace() + "/" + secretName(device) + " failed: " + ClusterSigner.message(e), e));
        }
        X509Certificate leaf = issued.chain().get(0);
        LOG.info("Serving certificate of Node {} (EdgeDevice {}) issued by {} ({}), valid until {}, stored in Secret {}/{}",
                tracked.nodeName, device, issued.issuer(), issued.origin(), leaf.getNotAfter().toInstant(), device.namespace(), secretName(device));
        return new ServingCertificate(tracked.nodeName, keys.getPrivate(), issued.chain());
    }

    /** Publishes a new certificate and plans the next look, or plans a retry after a failure. */
    private void settled(Tracked tracked, ServingCertificate certificate, Throwable failure, String why) {
        Duration next;
        boolean changed = false;
        synchronized (this) {
            if (devices.get(tracked.device) != tracked) {
                return; // released meanwhile
            }
            if (failure != null) {
                // the first try of an ensure is the caller's to retry; renewals and reissues retry on their own
                if (byNode.get(tracked.nodeName) == null) {
                    LOG.warn("No serving certificate for EdgeDevice {}: {}", tracked.device, unwrap(failure).getMessage());
                    return;
                }
                tracked.failures++;
                next = RenewalTimes.retryDelay(settings.retry(), Settings.MAX_RETRY, tracked.failures);
                LOG.warn("No new serving certificate for EdgeDevice {} ({}): {}; keeping the current one, next try in {} s",
                        tracked.device, why, unwrap(failure).getMessage(), next.toSeconds());
            } else {
                tracked.failures = 0;
                Duration untilRenewal = Duration.between(clock.instant(), RenewalTimes.renewAt(certificate.chain().get(0), settings.renewAtPercent()));
                // a signer that hands out certificates already due must not make this a loop of CSRs
                next = untilRenewal.compareTo(settings.retry()) < 0 ? settings.retry() : untilRenewal;
                ServingCertificate previous = byNode.put(tracked.nodeName, certificate);
                changed = previous == null || !previous.chain().get(0).equals(certificate.chain().get(0));
            }
            if (tracked.renewal != null) {
                tracked.renewal.cancel(false);
            }
            tracked.renewal = executor.schedule(() -> {
                synchronized (this) {
                    refresh(tracked, "renewal");
                }
            }, Math.max(0, next.toMillis()), TimeUnit.MILLISECONDS);
        }
        // listeners run outside the monitor: they may call back (current, ensure)
        if (changed) {
            publish(certificate);
        }
    }

    private void publish(ServingCertificate certificate) {
        for (Consumer<ServingCertificate> listener : listeners) {
            try {
                listener.accept(certificate);
            } catch (RuntimeException e) {
                LOG.warn("A listener of new serving certificates failed on {}", certificate, e);
            }
        }
    }

    /** Looks at every certificate again: those whose SANs no longer match the host are reissued. */
    private void hostChanged(HostIdentity identity) {
        LOG.info("The host's identity changed to {} {}: checking the serving certificates", identity.hostname(),
                identity.addresses().stream().map(InetAddress::getHostAddress).toList());
        synchronized (this) {
            devices.values().forEach(tracked -> refresh(tracked, "host addresses changed"));
        }
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }
}
