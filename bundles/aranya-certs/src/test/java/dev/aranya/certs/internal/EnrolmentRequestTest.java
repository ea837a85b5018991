package dev.aranya.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.certs.DeviceIdentities.DeviceIdentityException;
import dev.aranya.protocol.CertificationRequests;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import org.junit.jupiter.api.Test;

/** The agent's certification request (made by the JDK-only encoder in aranya-protocol), as Aranya reads it. */
class EnrolmentRequestTest {

    @Test
    void requestOfTheAgentsEcdsaAndRsaKeysYieldsTheirPublicKeys() throws Exception {
        KeyPair ec = KeyType.ECDSA.generate(0);
        KeyPair rsa = KeyType.RSA.generate(2048);

        assertThat(DeviceCertificates.requestedKey(CertificationRequests.create(ec, "edge", "pi-1"))).isEqualTo(ec.getPublic());
        assertThat(DeviceCertificates.requestedKey(CertificationRequests.create(rsa, "edge", "pi-1"))).isEqualTo(rsa.getPublic());
    }

    @Test
    void requestSignedByAnotherKeyIsRefused() throws Exception {
        byte[] request = CertificationRequests.create(KeyType.ECDSA.generate(0), "edge", "pi-1");
        request[request.length - 5] ^= 0x01; // inside the signature

        assertThatThrownBy(() -> DeviceCertificates.requestedKey(request)).isInstanceOf(DeviceIdentityException.class)
                .hasMessageContaining("signature");
    }

    @Test
    void bytesThatAreNoRequestAreRefusedWithAMessage() {
        assertThatThrownBy(() -> DeviceCertificates.requestedKey(new byte[] {0x30, 0x03, 0x02, 0x01, 0x00}))
                .isInstanceOf(DeviceIdentityException.class).hasMessageStartingWith("the certification request is not DER PKCS#10");
        assertThatThrownBy(() -> DeviceCertificates.requestedKey(new byte[0])).isInstanceOf(DeviceIdentityException.class);
    }

    @Test
    void namesThatAreNotKubernetesNamesAreRefusedByTheAgent() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        assertThatThrownBy(() -> CertificationRequests.create(generator.generateKeyPair(), "edge", "pi,O=other"))
                .hasMessage("'pi,O=other' is not a Kubernetes name");
    }
}
