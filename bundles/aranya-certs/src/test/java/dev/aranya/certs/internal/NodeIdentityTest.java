package dev.aranya.certs.internal;

import static dev.aranya.certs.internal.CertificationRequestsTest.host;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.model.NodeSpec.NodeCertSpec;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;

/** Whether a stored certificate still serves the Node: the SAN mismatch detection behind reissues. */
class NodeIdentityTest {
    static final CertificateAuthority CA = CertificateAuthority.create("test CA", Duration.ofDays(30), Clock.systemUTC());

    static X509Certificate certificateFor(NodeIdentity identity, KeyPair keys, Duration validity) {
        return CA.issue(identity.subject(), identity.subjectAlternativeNames(), keys.getPublic(), validity, KeyPurposeId.id_kp_serverAuth);
    }

    private final KeyPair keys = KeyType.ECDSA.generate(0);

    @Test
    void certificateOfTheSameIdentityMatches() {
        NodeIdentity identity = NodeIdentity.of("pi", new NodeCertSpec("DE", null, null, null, "edge"), host("host-a", "192.0.2.1", "::1"));
        X509Certificate certificate = certificateFor(identity, keys, Duration.ofHours(1));

        assertThat(identity.mismatch(certificate)).isEmpty();
        // the hostname's case and the addresses' order do not matter
        assertThat(NodeIdentity.of("pi", new NodeCertSpec("DE", null, null, null, "edge"), host("HOST-A", "::1", "192.0.2.1"))
                .mismatch(certificate)).isEmpty();
    }

    @Test
    void newAddressOfTheHostIsAMismatchThatNamesBothSets() {
        X509Certificate certificate = certificateFor(NodeIdentity.of("pi", null, host("host-a", "192.0.2.1")), keys, Duration.ofHours(1));

        assertThat(NodeIdentity.of("pi", null, host("host-a", "192.0.2.1", "192.0.2.2")).mismatch(certificate))
                .hasValue("SANs [host-a, 192.0.2.1] are not the host's [host-a, 192.0.2.1, 192.0.2.2]");
        assertThat(NodeIdentity.of("pi", null, host("host-b", "192.0.2.1")).mismatch(certificate))
                .hasValue("SANs [host-a, 192.0.2.1] are not the host's [host-b, 192.0.2.1]");
    }

    @Test
    void addressTheHostNoLongerHasIsAMismatchToo() {
        X509Certificate certificate = certificateFor(NodeIdentity.of("pi", null, host("host-a", "192.0.2.1", "192.0.2.9")), keys, Duration.ofHours(1));

        assertThat(NodeIdentity.of("pi", null, host("host-a", "192.0.2.1")).mismatch(certificate)).isPresent();
    }

    @Test
    void otherNodeOrChangedSubjectFieldsAreAMismatch() {
        NodeIdentity identity = NodeIdentity.of("pi", null, host("host-a", "192.0.2.1"));
        X509Certificate certificate = certificateFor(identity, keys, Duration.ofHours(1));

        assertThat(NodeIdentity.of("pi-other", null, host("host-a", "192.0.2.1")).mismatch(certificate))
                .hasValueSatisfying(reason -> assertThat(reason).startsWith("subject").contains("CN=system:node:pi-other"));
        assertThat(NodeIdentity.of("pi", new NodeCertSpec("FR", null, null, null, null), host("host-a", "192.0.2.1")).mismatch(certificate))
                .hasValueSatisfying(reason -> assertThat(reason).startsWith("subject").contains("C=FR"));
    }

    @Test
    void identityWithoutNamesIsRefused() {
        assertThatThrownBy(() -> new NodeIdentity("pi", null, java.util.List.of(), java.util.List.of()))
                .hasMessage("a serving certificate needs at least one DNS name or IP address");
    }
}
