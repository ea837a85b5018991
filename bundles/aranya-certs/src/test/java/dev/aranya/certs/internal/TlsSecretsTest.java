package dev.aranya.certs.internal;

import static dev.aranya.certs.internal.CertificationRequestsTest.host;
import static dev.aranya.certs.internal.NodeIdentityTest.certificateFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.Test;

/** The Secret round trip, and the errors a damaged Secret gives. */
class TlsSecretsTest {
    private final KeyPair keys = KeyType.ECDSA.generate(0);
    private final X509Certificate certificate =
            certificateFor(NodeIdentity.of("pi", null, host("host-a", "192.0.2.1")), keys, Duration.ofHours(1));

    @Test
    void keyAndChainComeBackAsTheyWereWritten() throws Exception {
        Secret secret = TlsSecrets.create("edge", "pi-kubelet-tls", Map.of("arhat.dev/role", "NodeCertificate"),
                Map.of(Labels.ISSUER, ClusterSigner.SIGNER_NAME),
                new OwnerReferenceBuilder().withKind("EdgeDevice").withName("pi").withUid("u-1").build(),
                keys.getPrivate(), List.of(certificate, NodeIdentityTest.CA.certificate()));

        assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
        assertThat(secret.getMetadata().getOwnerReferences()).extracting(o -> o.getUid()).containsExactly("u-1");
        assertThat(decoded(secret, "tls.key")).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(decoded(secret, "tls.crt")).startsWith("-----BEGIN CERTIFICATE-----");

        TlsSecrets.Stored stored = TlsSecrets.read(secret);
        assertThat(stored.key()).isEqualTo(keys.getPrivate());
        assertThat(stored.chain()).containsExactly(certificate, NodeIdentityTest.CA.certificate());
        assertThat(stored.annotations()).containsEntry(Labels.ISSUER, ClusterSigner.SIGNER_NAME);
    }

    @Test
    void keysInTheFormsGoAndOpensslWriteAreRead() throws Exception {
        // "EC PRIVATE KEY" (SEC1 with curve and public key), as Go's x509.MarshalECPrivateKey writes it for the Go aranya
        PrivateKeyInfo pkcs8 = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
        ECPrivateKey bare = ECPrivateKey.getInstance(pkcs8.parsePrivateKey());
        ECPrivateKey goForm = new ECPrivateKey(256, bare.getKey(), SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded())
                .getPublicKeyData(), pkcs8.getPrivateKeyAlgorithm().getParameters());
        StringWriter sec1 = new StringWriter();
        try (PemWriter writer = new PemWriter(sec1)) {
            writer.writeObject(new PemObject("EC PRIVATE KEY", goForm.getEncoded()));
        }
        assertThat(sec1.toString()).startsWith("-----BEGIN EC PRIVATE KEY-----");

        TlsSecrets.Stored stored = TlsSecrets.read(secret(Pem.encode(certificate), sec1.toString()));

        assertThat(TlsSecrets.matches(stored.key(), certificate.getPublicKey())).isTrue();
    }

    @Test
    void damagedSecretsGiveMessagesThatSayWhatIsWrongAndShowNoKey() throws Exception {
        String cert = Pem.encode(certificate);
        String key = Pem.encode(keys.getPrivate());
        String otherKey = Pem.encode(KeyType.ECDSA.generate(0).getPrivate());

        assertThatThrownBy(() -> TlsSecrets.read(secret(cert, null)))
                .isInstanceOf(CertificateException.class).hasMessage("Secret edge/pi-kubelet-tls: no tls.key");
        assertThatThrownBy(() -> TlsSecrets.read(secret(null, key))).hasMessage("Secret edge/pi-kubelet-tls: no tls.crt");
        assertThatThrownBy(() -> TlsSecrets.read(secret("-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n", key)))
                .hasMessageStartingWith("Secret edge/pi-kubelet-tls: ");
        assertThatThrownBy(() -> TlsSecrets.read(secret(cert, "not a key")))
                .hasMessage("Secret edge/pi-kubelet-tls: no PEM private key found");
        assertThatThrownBy(() -> TlsSecrets.read(secret(cert, key.replace("\n", "\n!"))))
                .hasMessageStartingWith("Secret edge/pi-kubelet-tls: unreadable private key")
                .hasMessageNotContaining(key.substring(40, 60));
        assertThatThrownBy(() -> TlsSecrets.read(secret(cert, otherKey)))
                .hasMessage("Secret edge/pi-kubelet-tls: its tls.key is not the key of its tls.crt");
        Secret notBase64 = secret(cert, key);
        notBase64.getData().put("tls.key", "%%%");
        assertThatThrownBy(() -> TlsSecrets.read(notBase64)).hasMessage("Secret edge/pi-kubelet-tls: tls.key is not base64");
    }

    @Test
    void certificateWithAKeyOfAnotherCurveIsRefusedByName() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair p384 = generator.generateKeyPair();
        X509Certificate other = certificateFor(NodeIdentity.of("pi", null, host("host-a", "192.0.2.1")), p384, Duration.ofHours(1));

        assertThatThrownBy(() -> TlsSecrets.read(secret(Pem.encode(other), Pem.encode(p384.getPrivate()))))
                .hasMessage("Secret edge/pi-kubelet-tls: its certificate's key (EC) is neither ECDSA P-256 nor RSA");
    }

    @Test
    void deviceNameTooLongForALabelValueIsLeftOutOfTheLabels() {
        String longName = "d".repeat(64);

        assertThat(Labels.forDevice(new dev.aranya.api.transport.DeviceId("edge", longName), Labels.ROLE_NODE_CERTIFICATE))
                .containsOnlyKeys("arhat.dev/role", "arhat.dev/namespace");
        assertThat(Labels.forDevice(new dev.aranya.api.transport.DeviceId("edge", "d".repeat(63)), Labels.ROLE_NODE_CERTIFICATE))
                .containsEntry("arhat.dev/name", "d".repeat(63));
    }

    private static Secret secret(String cert, String key) {
        Secret secret = TlsSecrets.create("edge", "pi-kubelet-tls", Map.of(), Map.of(), null,
                KeyType.ECDSA.generate(0).getPrivate(), List.of(NodeIdentityTest.CA.certificate()));
        secret.getData().clear();
        if (cert != null) {
            secret.getData().put("tls.crt", Base64.getEncoder().encodeToString(cert.getBytes(StandardCharsets.US_ASCII)));
        }
        if (key != null) {
            secret.getData().put("tls.key", Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.US_ASCII)));
        }
        return secret;
    }

    private static String decoded(Secret secret, String entry) {
        return new String(Base64.getDecoder().decode(secret.getData().get(entry)), StandardCharsets.US_ASCII);
    }
}
