package dev.aranya.certs.internal;

import dev.aranya.api.transport.DeviceId;
import dev.aranya.certs.DeviceIdentities.DeviceIdentityException;
import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * What a device's client certificate says: {@code CN=<device>} for people, and the URI SAN
 * {@code urn:aranya:device:<namespace>:<device>} that {@link #deviceOf} reads (Kubernetes names hold no colon).
 */
final class DeviceCertificates {
    static final String URI_PREFIX = "urn:aranya:device:";

    private DeviceCertificates() {
    }

    static X509Certificate issue(CertificateAuthority ca, DeviceId device, PublicKey key, Duration validity) throws DeviceIdentityException {
        KeyType type = KeyType.of(key);
        if (type == null) {
            throw new DeviceIdentityException("device keys are ECDSA P-256 or RSA, not " + key.getAlgorithm());
        }
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < KeyType.MIN_RSA_BITS) {
            throw new DeviceIdentityException("device RSA keys need at least " + KeyType.MIN_RSA_BITS + " bits, not " + rsa.getModulus().bitLength());
        }
        return ca.issue(new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, device.name()).build(),
                new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri(device))), key, validity,
                KeyPurposeId.id_kp_clientAuth);
    }

    static String uri(DeviceId device) {
        return URI_PREFIX + device.namespace() + ":" + device.name();
    }

    /** @return the device the certificate names, or empty when it names none */
    static Optional<DeviceId> deviceOf(X509Certificate certificate) {
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            for (List<?> san : sans == null ? List.<List<?>>of() : sans) {
                if ((Integer) san.get(0) == GeneralName.uniformResourceIdentifier && san.get(1) instanceof String uri
                        && uri.startsWith(URI_PREFIX)) {
                    String[] parts = uri.substring(URI_PREFIX.length()).split(":");
                    if (parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty()) {
                        return Optional.of(new DeviceId(parts[0], parts[1]));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
