package dev.aranya.transport.tcp.internal;

import dev.aranya.api.certs.DeviceIdentities;
import dev.aranya.api.transport.DeviceId;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * DeviceIdentities as its contract says, without a cluster (the real one is tested against the apiserver in
 * DeviceIdentitiesE2E): one-time tokens, a CA that can be replaced, revocation by serial, told to the connections.
 */
final class TestDeviceCa implements DeviceIdentities {
    private final TestPki pki;
    volatile TestPki.Issued ca;
    final Map<DeviceId, String> tokens = new ConcurrentHashMap<>();
    final Set<BigInteger> revoked = ConcurrentHashMap.newKeySet();
    private final Map<BigInteger, Consumer<String>> watches = new ConcurrentHashMap<>();
    final AtomicInteger enrolments = new AtomicInteger();
    final AtomicInteger renewals = new AtomicInteger();
    /** How long the certificates issued from now on are valid. */
    volatile Duration lifetime = Duration.ofDays(1);

    TestDeviceCa(TestPki pki, TestPki.Issued ca) {
        this.pki = pki;
        this.ca = ca;
    }

    @Override
    public List<X509Certificate> trustAnchors() {
        return List.of(ca.certificate());
    }

    @Override
    public CompletionStage<List<X509Certificate>> enrol(DeviceId device, String bootstrapToken, byte[] certificationRequest) {
        if (!bootstrapToken.equals(tokens.get(device)) || !tokens.remove(device, bootstrapToken)) {
            return CompletableFuture.failedFuture(new DeviceIdentityException("device " + device + " has no bootstrap token, or it was used already"));
        }
        enrolments.incrementAndGet();
        return issue(device, certificationRequest);
    }

    private CompletionStage<List<X509Certificate>> issue(DeviceId device, byte[] certificationRequest) {
        try {
            PublicKey key = new JcaPKCS10CertificationRequest(certificationRequest).getPublicKey();
            Instant now = Instant.now();
            return CompletableFuture.completedFuture(List.of(pki.device(ca, device.namespace(), device.name(), key,
                    now.minusSeconds(1), now.plus(lifetime))));
        } catch (Exception e) {
            return CompletableFuture.failedFuture(new DeviceIdentityException("bad request: " + e));
        }
    }

    @Override
    public CompletionStage<BootstrapToken> createBootstrapToken(DeviceId device) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("tokens are put into the map"));
    }

    @Override
    public CompletionStage<List<X509Certificate>> renew(List<X509Certificate> presented, byte[] certificationRequest) {
        return authenticate(presented).thenCompose(device -> {
            renewals.incrementAndGet();
            return issue(device, certificationRequest);
        });
    }

    /** What deleting the device's identity Secret does: refused from now on, its connections told. */
    void revoke(BigInteger serial) {
        revoked.add(serial);
        Consumer<String> watch = watches.remove(serial);
        if (watch != null) {
            watch.accept("certificate " + serial.toString(16) + " was revoked");
        }
    }

    int watched() {
        return watches.size();
    }

    /** The serials of the certificates connections watch, that is, the ones they were opened with. */
    Set<BigInteger> watchedSerials() {
        return Set.copyOf(watches.keySet());
    }

    @Override
    public Watch watchRevocation(DeviceId device, X509Certificate certificate, Consumer<String> revoked) {
        BigInteger serial = certificate.getSerialNumber();
        watches.put(serial, revoked);
        return () -> watches.remove(serial, revoked);
    }

    @Override
    public CompletionStage<DeviceId> authenticate(List<X509Certificate> chain) {
        X509Certificate leaf = chain.get(0);
        try {
            leaf.verify(ca.certificate().getPublicKey());
        } catch (Exception e) {
            return CompletableFuture.failedFuture(new DeviceIdentityException("not issued by the device CA"));
        }
        DeviceId device = DeviceId.ofCertificateSubject(leaf.getSubjectX500Principal()).orElseThrow();
        if (revoked.contains(leaf.getSerialNumber())) {
            return CompletableFuture.failedFuture(new DeviceIdentityException("device " + device + " is revoked"));
        }
        return CompletableFuture.completedFuture(device);
    }
}
