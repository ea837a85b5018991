package dev.aranya.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.certs.DeviceIdentities.DeviceIdentityException;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client certificate of a device: what it says, and reading the device back from it. */
class DeviceCertificatesTest {
    private static final DeviceId DEVICE = new DeviceId("edge", "pi-1");

    @Test
    void certificateNamesTheDeviceAndIsForClientAuthenticationOnly() throws Exception {
        var keys = KeyType.ECDSA.generate(0);

        X509Certificate certificate = DeviceCertificates.issue(NodeIdentityTest.CA, DEVICE, keys.getPublic(), Duration.ofDays(90));

        certificate.verify(NodeIdentityTest.CA.certificate().getPublicKey());
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=pi-1,O=edge");
        assertThat(certificate.getSubjectAlternativeNames()).containsExactly(List.of(6, "urn:aranya:device:edge:pi-1"));
        assertThat(certificate.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
        assertThat(certificate.getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(DeviceCertificates.deviceOf(certificate)).hasValue(DEVICE);
    }

    @Test
    void certificateOfAnotherKindNamesNoDevice() {
        NodeIdentity node = NodeIdentity.of("pi-1", null, CertificationRequestsTest.host("host-a", "192.0.2.1"));

        assertThat(DeviceCertificates.deviceOf(NodeIdentityTest.certificateFor(node, KeyType.ECDSA.generate(0), Duration.ofHours(1)))).isEmpty();
        assertThat(DeviceCertificates.deviceOf(NodeIdentityTest.CA.certificate())).isEmpty();
    }

    @Test
    void weakOrUnknownKeysAreRefused() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));

        assertThatThrownBy(() -> DeviceCertificates.issue(NodeIdentityTest.CA, DEVICE, rsa.generateKeyPair().getPublic(), Duration.ofDays(1)))
                .isInstanceOf(DeviceIdentityException.class).hasMessage("device RSA keys need at least 2048 bits, not 1024");
        assertThatThrownBy(() -> DeviceCertificates.issue(NodeIdentityTest.CA, DEVICE, p384.generateKeyPair().getPublic(), Duration.ofDays(1)))
                .hasMessage("device keys are ECDSA P-256 or RSA, not EC");
    }

    @Test
    void certificateDoesNotOutliveItsCa() throws Exception {
        X509Certificate certificate = DeviceCertificates.issue(NodeIdentityTest.CA, DEVICE, KeyType.ECDSA.generate(0).getPublic(),
                Duration.ofDays(10_000));

        assertThat(certificate.getNotAfter()).isEqualTo(NodeIdentityTest.CA.certificate().getNotAfter());
    }
}
