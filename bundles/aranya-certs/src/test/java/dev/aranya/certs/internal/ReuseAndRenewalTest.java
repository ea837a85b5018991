package dev.aranya.certs.internal;

import static dev.aranya.certs.internal.CertificationRequestsTest.host;
import static dev.aranya.certs.internal.NodeIdentityTest.certificateFor;
import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When a stored certificate is kept and when it is replaced; when renewals and retries happen. */
class ReuseAndRenewalTest {
    static Settings settings(KeyType keyType, boolean fallbackToOwnCa) {
        return new Settings(keyType, 2048, new ClusterSigner.Settings(Duration.ofSeconds(5), Duration.ofMillis(20), true, Duration.ZERO),
                80, Duration.ofSeconds(30), fallbackToOwnCa, "aranya-kubelet-serving-ca", Duration.ofDays(3650), Duration.ofDays(365));
    }

    private final NodeIdentity identity = NodeIdentity.of("pi", null, host("host-a", "192.0.2.1"));
    private final KeyPair keys = KeyType.ECDSA.generate(0);

    @Test
    void renewalIsDueAtEightyPercentOfTheLifetime() {
        X509Certificate certificate = certificateFor(identity, keys, Duration.ofHours(10));
        Instant notBefore = certificate.getNotBefore().toInstant();
        Duration lifetime = Duration.between(notBefore, certificate.getNotAfter().toInstant());

        assertThat(RenewalTimes.renewAt(certificate, 80)).isEqualTo(notBefore.plus(lifetime.multipliedBy(8).dividedBy(10)));
        assertThat(RenewalTimes.renewAt(certificate, 50)).isEqualTo(notBefore.plus(lifetime.dividedBy(2)));
    }

    @Test
    void retriesBackOffUpToTheMaximum() {
        Duration first = Duration.ofSeconds(30);
        Duration max = Duration.ofMinutes(10);

        assertThat(List.of(1, 2, 3, 5, 6, 1000).stream().map(n -> RenewalTimes.retryDelay(first, max, n).toSeconds()))
                .containsExactly(30L, 60L, 120L, 480L, 600L, 600L);
    }

    @Test
    void freshMatchingCertificateIsKept() {
        TlsSecrets.Stored stored = stored(certificateFor(identity, keys, Duration.ofHours(10)), Map.of());

        assertThat(NodeCertificateService.replacementReason(stored, identity, settings(KeyType.ECDSA, false), Instant.now())).isEmpty();
    }

    @Test
    void certificatePastEightyPercentIsReplaced() {
        X509Certificate certificate = certificateFor(identity, keys, Duration.ofHours(10));
        Instant renewAt = RenewalTimes.renewAt(certificate, 80);
        TlsSecrets.Stored stored = stored(certificate, Map.of());

        assertThat(NodeCertificateService.replacementReason(stored, identity, settings(KeyType.ECDSA, false), renewAt.minusSeconds(1))).isEmpty();
        assertThat(NodeCertificateService.replacementReason(stored, identity, settings(KeyType.ECDSA, false), renewAt))
                .hasValueSatisfying(reason -> assertThat(reason).startsWith("it was due for renewal on " + renewAt));
    }

    @Test
    void certificateForOtherAddressesIsReplaced() {
        TlsSecrets.Stored stored = stored(certificateFor(identity, keys, Duration.ofHours(10)), Map.of());
        NodeIdentity moved = NodeIdentity.of("pi", null, host("host-a", "192.0.2.77"));

        assertThat(NodeCertificateService.replacementReason(stored, moved, settings(KeyType.ECDSA, false), Instant.now()))
                .hasValue("SANs [host-a, 192.0.2.1] are not the host's [host-a, 192.0.2.77]");
    }

    @Test
    void keyOfAnotherTypeThanConfiguredIsReplaced() {
        TlsSecrets.Stored stored = stored(certificateFor(identity, keys, Duration.ofHours(10)), Map.of());

        assertThat(NodeCertificateService.replacementReason(stored, identity, settings(KeyType.RSA, false), Instant.now()))
                .hasValue("its key is ECDSA, the configuration asks for RSA");
    }

    @Test
    void certificateFromTheOwnCaIsReplacedOnceTheFallbackIsOff() {
        TlsSecrets.Stored stored = stored(certificateFor(identity, keys, Duration.ofHours(10)), Map.of(Labels.ISSUER, Labels.ISSUER_OWN_CA));

        assertThat(NodeCertificateService.replacementReason(stored, identity, settings(KeyType.ECDSA, true), Instant.now())).isEmpty();
        assertThat(NodeCertificateService.replacementReason(stored, identity, settings(KeyType.ECDSA, false), Instant.now()))
                .hasValue("it was issued by Aranya's own CA, and the fallback to it is off");
    }

    private TlsSecrets.Stored stored(X509Certificate certificate, Map<String, String> annotations) {
        return new TlsSecrets.Stored(keys.getPrivate(), List.of(certificate), annotations);
    }
}
