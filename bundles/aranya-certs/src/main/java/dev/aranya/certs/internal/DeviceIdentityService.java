package dev.aranya.certs.internal;

import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.certs.DeviceIdentities;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Device identities of the namespace the Kubernetes client serves. The device CA lives in a Secret; each device's
 * valid certificates are listed (by serial) on its identity Secret {@code <device>-device-identity}, owned by the
 * EdgeDevice: deleting either revokes the device. Bootstrap tokens are Secrets {@code <device>-bootstrap-token}
 * that an administrator creates; enrolment deletes them.
 */
@Component(service = DeviceIdentities.class, configurationPid = DeviceIdentityConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = DeviceIdentityConfig.class)
public final class DeviceIdentityService implements DeviceIdentities {
    static final String IDENTITY_SUFFIX = "-device-identity";
    static final String TOKEN_SUFFIX = "-bootstrap-token";
    static final String TOKEN_KEY = "token";
    /** Annotation on a bootstrap token Secret: when it stops working (RFC 3339). */
    static final String EXPIRES = "aranya.arhat.dev/expires";
    static final String ROLE_BOOTSTRAP_TOKEN = "BootstrapToken";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Annotation on the identity Secret: serials (hex) of the device's valid certificates, newest first. */
    static final String SERIALS = "aranya.arhat.dev/serials";
    static final String ROLE_DEVICE_IDENTITY = "DeviceIdentity";
    /** How many certificates of a device stay valid: the newest and the one it may still be connected with. */
    private static final int KEPT_SERIALS = 2;
    private static final Duration CA_LOAD_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(DeviceIdentityService.class);

    private final KubernetesClient client;
    private final String namespace;
    private final String caSecret;
    private final Duration caValidity;
    private final Duration certificateValidity;
    private final Duration caRefresh;
    private final Duration tokenValidity;
    private final Clock clock;
    private final ScheduledExecutorService executor;
    private final RevocationWatches revocations;
    /** The device CA, loaded (or made) on first use; a failed load is tried again on the next use. */
    private CompletableFuture<CertificateAuthority> ca;
    /** When {@link #ca} was last read from its Secret: an operator may replace the CA there. */
    private Instant caReadAt = Instant.MIN;
    private boolean caRereading;

    @Activate
    public DeviceIdentityService(@Reference KubernetesClient client, DeviceIdentityConfig config) {
        this(client, config.caSecret(), Duration.ofDays(config.caValidityDays()), Duration.ofDays(config.certificateValidityDays()),
                Duration.ofSeconds(config.caRefreshSeconds()), Duration.ofHours(config.bootstrapTokenValidityHours()), Clock.systemUTC());
    }

    DeviceIdentityService(KubernetesClient client, String caSecret, Duration caValidity, Duration certificateValidity,
                          Duration caRefresh, Duration tokenValidity, Clock clock) {
        this.client = client;
        this.namespace = client.getNamespace();
        this.caSecret = caSecret;
        this.caValidity = caValidity;
        this.certificateValidity = certificateValidity;
        this.caRefresh = caRefresh;
        this.tokenValidity = tokenValidity;
        this.clock = clock;
        this.executor = ClientThreads.executor(client, "aranya-device-identities", 1);
        this.revocations = new RevocationWatches(client, namespace, executor, DeviceIdentityService::serials);
    }

    @Deactivate
    void deactivate() {
        revocations.close();
        executor.shutdownNow();
    }

    /**
     * The device CA; once loaded, read again in the background every {@code caRefresh} (while in use), so that a CA
     * an operator put into the Secret, or a new one made after the Secret was deleted, is used without a restart.
     */
    private synchronized CompletableFuture<CertificateAuthority> ca() {
        Instant now = clock.instant();
        if (ca == null || ca.isCompletedExceptionally()) {
            caReadAt = now;
            ca = CompletableFuture.supplyAsync(this::loadCa, executor);
        } else if (ca.isDone() && !caRereading && now.isAfter(caReadAt.plus(caRefresh))) {
            caRereading = true;
            CertificateAuthority current = ca.join();
            CompletableFuture.supplyAsync(this::loadCa, executor).whenComplete((read, failure) -> reread(current, read, failure));
        }
        return ca;
    }

    private synchronized void reread(CertificateAuthority current, CertificateAuthority read, Throwable failure) {
        caRereading = false;
        caReadAt = clock.instant();
        if (failure != null) {
            LOG.warn("Reading the device CA (Secret {}/{}) again failed; the one read before stays in use: {}", namespace, caSecret,
                    (failure instanceof CompletionException ? failure.getCause() : failure).getMessage());
        } else if (!read.certificate().equals(current.certificate())) {
            LOG.info("The device CA in Secret {}/{} was replaced: devices are now verified against and issued by '{}' (serial {}); "
                    + "certificates of the previous CA are refused", namespace, caSecret, read.certificate().getSubjectX500Principal(),
                    read.certificate().getSerialNumber().toString(16));
            ca = CompletableFuture.completedFuture(read);
        }
    }

    private CertificateAuthority loadCa() {
        try {
            return CaSecrets.loadOrCreate(client, namespace, caSecret, "aranya device CA (" + namespace + ")", caValidity, clock);
        } catch (CertificateException e) {
            throw new CompletionException(new DeviceIdentityException("the device CA is unusable: " + e.getMessage()));
        }
    }

    @Override
    public List<X509Certificate> trustAnchors() {
        try {
            return List.of(ca().get(CA_LOAD_TIMEOUT.toSeconds(), TimeUnit.SECONDS).certificate());
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the device CA (Secret " + namespace + "/" + caSecret + ") could not be loaded within "
                    + CA_LOAD_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading the device CA", e);
        }
    }

    @Override
    public CompletionStage<BootstrapToken> createBootstrapToken(DeviceId device) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                servedHere(device);
                OwnerReference owner = EdgeDevices.owner(EdgeDevices.read(client, device));
                if (owner == null) {
                    throw new DeviceIdentityException("there is no EdgeDevice " + device + " to make a bootstrap token for");
                }
                byte[] random = new byte[32];
                RANDOM.nextBytes(random);
                String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
                Instant expires = clock.instant().plus(tokenValidity).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
                Secret secret = new SecretBuilder().withNewMetadata().withNamespace(namespace).withName(device.name() + TOKEN_SUFFIX)
                        .withLabels(Labels.forDevice(device, ROLE_BOOTSTRAP_TOKEN)).withAnnotations(Map.of(EXPIRES, expires.toString()))
                        .withOwnerReferences(owner).endMetadata()
                        .withType("Opaque")
                        .addToData(TOKEN_KEY, Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.US_ASCII)))
                        .build();
                client.secrets().inNamespace(namespace).resource(secret).createOr(NonDeletingOperation::update);
                LOG.info("Made a bootstrap token for device {} (Secret {}), valid once until {}", device, secret.getMetadata().getName(), expires);
                return new BootstrapToken(device, token, expires);
            } catch (DeviceIdentityException e) {
                throw new CompletionException(e);
            } catch (KubernetesClientException e) {
                throw new CompletionException(new DeviceIdentityException("cannot store the bootstrap token of device " + device + ": "
                        + ClusterSigner.message(e)));
            }
        }, executor).minimalCompletionStage();
    }

    @Override
    public CompletionStage<List<X509Certificate>> enrol(DeviceId device, String bootstrapToken, byte[] certificationRequest) {
        return withRequestedKey(certificationRequest, "Enrolment of device " + device, key -> enrol(device, bootstrapToken, key));
    }

    /** The request's key (its signature checked), handed on; a bad request fails the stage with the reason. */
    private static CompletionStage<List<X509Certificate>> withRequestedKey(byte[] certificationRequest, String operation,
            Function<PublicKey, CompletionStage<List<X509Certificate>>> then) {
        try {
            return then.apply(DeviceCertificates.requestedKey(certificationRequest));
        } catch (DeviceIdentityException e) {
            LOG.warn("{} refused: {}", operation, e.getMessage());
            return CompletableFuture.<List<X509Certificate>>failedFuture(e).minimalCompletionStage();
        }
    }

    CompletionStage<List<X509Certificate>> enrol(DeviceId device, String bootstrapToken, PublicKey key) {
        return ca().thenApplyAsync(authority -> {
            try {
                servedHere(device);
                consumeToken(device, bootstrapToken);
                X509Certificate certificate = issueAndRecord(authority, device, key, List.of(), EdgeDevices.read(client, device));
                LOG.info("Device {} enrolled with its bootstrap token: client certificate {} valid until {}", device,
                        certificate.getSerialNumber().toString(16), certificate.getNotAfter().toInstant());
                return List.of(certificate);
            } catch (DeviceIdentityException e) {
                LOG.warn("Enrolment of device {} refused: {}", device, e.getMessage());
                throw new CompletionException(e);
            }
        }, executor).minimalCompletionStage();
    }

    @Override
    public CompletionStage<List<X509Certificate>> renew(List<X509Certificate> presented, byte[] certificationRequest) {
        return withRequestedKey(certificationRequest, "Renewal of a device certificate", key -> renew(presented, key));
    }

    CompletionStage<List<X509Certificate>> renew(List<X509Certificate> presented, PublicKey newKey) {
        return ca().thenApplyAsync(authority -> {
            try {
                DeviceId device = verify(authority, presented);
                X509Certificate certificate = issueAndRecord(authority, device, newKey, List.of(presented.get(0)), existing(device));
                LOG.info("Device {} renewed its client certificate: {} valid until {}", device,
                        certificate.getSerialNumber().toString(16), certificate.getNotAfter().toInstant());
                return List.of(certificate);
            } catch (DeviceIdentityException e) {
                LOG.warn("Renewal of a device certificate refused: {}", e.getMessage());
                throw new CompletionException(e);
            }
        }, executor).minimalCompletionStage();
    }

    @Override
    public CompletionStage<DeviceId> authenticate(List<X509Certificate> chain) {
        return ca().thenApplyAsync(authority -> {
            try {
                return verify(authority, chain);
            } catch (DeviceIdentityException e) {
                LOG.info("Device certificate refused: {}", e.getMessage());
                throw new CompletionException(e);
            }
        }, executor).minimalCompletionStage();
    }

    private void servedHere(DeviceId device) throws DeviceIdentityException {
        if (!namespace.equals(device.namespace())) {
            throw new DeviceIdentityException("device " + device + " is not in namespace " + namespace + ", which this Aranya serves");
        }
    }

    private void consumeToken(DeviceId device, String presented) throws DeviceIdentityException {
        String name = device.name() + TOKEN_SUFFIX;
        Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
        byte[] expected = secret == null || secret.getData() == null || secret.getData().get(TOKEN_KEY) == null ? null
                : Base64.getDecoder().decode(secret.getData().get(TOKEN_KEY));
        if (expected == null || expected.length == 0) {
            throw new DeviceIdentityException("device " + device + " has no bootstrap token (Secret " + namespace + "/" + name
                    + " with key '" + TOKEN_KEY + "'), or it was used already");
        }
        Instant expires = expiry(secret);
        if (!clock.instant().isBefore(expires)) {
            Arrays.fill(expected, (byte) 0);
            client.secrets().inNamespace(namespace).withName(name).delete();
            throw new DeviceIdentityException("the bootstrap token of device " + device + " expired at " + expires
                    + ": make a new one (aranya:device-token " + device.name() + ")");
        }
        byte[] given = presented == null ? new byte[0] : presented.getBytes(StandardCharsets.UTF_8);
        boolean matches = MessageDigest.isEqual(trim(expected), given);
        Arrays.fill(expected, (byte) 0);
        if (!matches) {
            throw new DeviceIdentityException("the bootstrap token presented for device " + device + " is not its token");
        }
        // one use: the first enrolment that deletes it wins
        if (client.secrets().inNamespace(namespace).withName(name).delete().isEmpty()) {
            throw new DeviceIdentityException("the bootstrap token of device " + device + " was used already");
        }
    }

    /** The {@value #EXPIRES} annotation, else the Secret's creation plus the configured validity. */
    private Instant expiry(Secret secret) throws DeviceIdentityException {
        Map<String, String> annotations = secret.getMetadata().getAnnotations();
        String value = annotations == null ? null : annotations.get(EXPIRES);
        try {
            if (value != null) {
                return Instant.parse(value.trim());
            }
            String created = secret.getMetadata().getCreationTimestamp();
            return created == null ? clock.instant().plus(tokenValidity) : Instant.parse(created).plus(tokenValidity);
        } catch (java.time.format.DateTimeParseException e) {
            throw new DeviceIdentityException("the bootstrap token Secret " + secret.getMetadata().getName() + " has an annotation "
                    + EXPIRES + " that is not an RFC 3339 time: " + value);
        }
    }

    /** A token typed into kubectl --from-file often ends with a newline. */
    private static byte[] trim(byte[] token) {
        int end = token.length;
        while (end > 0 && (token[end - 1] == '\n' || token[end - 1] == '\r')) {
            end--;
        }
        return Arrays.copyOf(token, end);
    }

    @Override
    public Watch watchRevocation(DeviceId device, X509Certificate certificate, Consumer<String> revoked) {
        return revocations.watch(device, certificate.getSerialNumber().toString(16), revoked);
    }

    private DeviceId verify(CertificateAuthority authority, List<X509Certificate> chain) throws DeviceIdentityException {
        if (chain == null || chain.isEmpty()) {
            throw new DeviceIdentityException("no client certificate");
        }
        X509Certificate leaf = chain.get(0);
        try {
            leaf.verify(authority.certificate().getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new DeviceIdentityException("certificate " + leaf.getSubjectX500Principal() + " was not issued by the device CA");
        }
        try {
            leaf.checkValidity(Date.from(clock.instant()));
        } catch (CertificateException e) {
            throw new DeviceIdentityException("certificate " + leaf.getSubjectX500Principal() + " is valid from "
                    + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant() + ", not now");
        }
        DeviceId device = DeviceCertificates.deviceOf(leaf)
                .orElseThrow(() -> new DeviceIdentityException("certificate " + leaf.getSubjectX500Principal() + " names no device"));
        servedHere(device);
        Secret identity = client.secrets().inNamespace(namespace).withName(device.name() + IDENTITY_SUFFIX).get();
        if (identity == null) {
            throw new DeviceIdentityException("device " + device + " is revoked (it has no identity Secret " + device.name() + IDENTITY_SUFFIX + ")");
        }
        if (!serials(identity).contains(leaf.getSerialNumber().toString(16))) {
            throw new DeviceIdentityException("certificate " + leaf.getSerialNumber().toString(16) + " of device " + device
                    + " was replaced or revoked");
        }
        return device;
    }

    /**
     * The device's EdgeDevice, which must exist and not be being deleted: a renewal rewrites the identity Secret,
     * and one without its owner would outlive the EdgeDevice and keep a deleted device's identity valid.
     */
    private EdgeDevice existing(DeviceId device) throws DeviceIdentityException {
        EdgeDevice edgeDevice;
        try {
            edgeDevice = client.resources(EdgeDevice.class).inNamespace(device.namespace()).withName(device.name()).get();
        } catch (KubernetesClientException e) {
            throw new DeviceIdentityException("cannot read EdgeDevice " + device + ": " + ClusterSigner.message(e));
        }
        if (edgeDevice == null || edgeDevice.getMetadata().getDeletionTimestamp() != null) {
            throw new DeviceIdentityException("EdgeDevice " + device + (edgeDevice == null ? " does not exist" : " is being deleted")
                    + ", so its certificate is not renewed");
        }
        return edgeDevice;
    }

    /** @param edgeDevice the device's EdgeDevice, owner of the identity Secret; null: the Secret gets no owner */
    private X509Certificate issueAndRecord(CertificateAuthority authority, DeviceId device, PublicKey key, List<X509Certificate> keep,
            EdgeDevice edgeDevice) throws DeviceIdentityException {
        X509Certificate certificate = DeviceCertificates.issue(authority, device, key, certificateValidity);
        List<String> serials = new ArrayList<>();
        serials.add(certificate.getSerialNumber().toString(16));
        keep.forEach(kept -> serials.add(kept.getSerialNumber().toString(16)));
        String name = device.name() + IDENTITY_SUFFIX;
        SecretBuilder identity = new SecretBuilder().withNewMetadata()
                .withNamespace(namespace).withName(name)
                .withLabels(Labels.forDevice(device, ROLE_DEVICE_IDENTITY))
                .withAnnotations(Map.of(SERIALS, String.join(",", serials.subList(0, Math.min(KEPT_SERIALS, serials.size())))))
                .endMetadata()
                .withType("Opaque")
                .addToData("tls.crt", Base64.getEncoder().encodeToString(Pem.encode(certificate).getBytes(StandardCharsets.US_ASCII)));
        OwnerReference owner = EdgeDevices.owner(edgeDevice);
        if (owner != null) {
            identity.editMetadata().withOwnerReferences(owner).endMetadata();
        }
        try {
            client.secrets().inNamespace(namespace).resource(identity.build()).createOr(NonDeletingOperation::update);
        } catch (KubernetesClientException e) {
            throw new DeviceIdentityException("recording the certificate of device " + device + " in Secret " + name + " failed: "
                    + ClusterSigner.message(e));
        }
        return certificate;
    }

    private static List<String> serials(Secret identity) {
        Map<String, String> annotations = identity.getMetadata().getAnnotations();
        String value = annotations == null ? null : annotations.get(SERIALS);
        return value == null || value.isBlank() ? List.of() : List.of(value.split(","));
    }
}
